"""Both evaluation questions for several algorithms over several random splits: mean ± sd per algorithm.

    python -m benchmarks.engine_splits --data data/ml-latest-small --seeds 1,2,3,4,5 \
        --algorithms hybrid,ease,itemknn,userknn,popularity --out var/engine-splits.jsonl
    python -m benchmarks.engine_splits --table var/engine-splits.jsonl

Each run is `evaluate`'s code path (`evaluation.evaluate_question`) with the split seed given; one JSON
line per (algorithm, question, seed) goes to stdout and to --out as it finishes, then a Markdown table.
The sd is the sample standard deviation over the seeds.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from contextlib import contextmanager

import numpy as np

from recommendations.engine import build_model
from recommendations.engine.datasets import load_evaluation_ratings
from recommendations.engine.evaluation import QUESTIONS, evaluate_question

METRICS = ("ndcg@10", "precision@10", "recall@10", "map@10", "coverage", "fit_s")


def run(args) -> list[dict]:
    data = load_evaluation_ratings(args.data, args.format)
    lines = []
    params = json.loads(args.params) if args.params else {}
    with appending(args.out) as out:
        for name in args.algorithms.split(","):
            for question, relevance, binary, seed in splits(args):
                [metrics] = evaluate_question(
                    lambda name=name: build_model(name, **params),  # noqa: B023 - called at once
                    data.matrix,
                    relevance=relevance,
                    binary=binary,
                    item_texts=data.item_texts,
                    timestamps=data.timestamps,
                    seed=seed,
                )
                line = {"algorithm": args.label or name, "question": question, "seed": seed}
                line.update({k: round(v, 4) for k, v in metrics.items()})
                lines.append(line)
                emit(line, out)
    return lines


def split_arguments(cli: argparse.ArgumentParser, *, data_required: bool = True) -> None:
    """--data, --format, --questions, --seeds and --out, as every benchmark over `evaluate`'s splits reads them."""
    cli.add_argument("--data", required=data_required, help="dataset directory")
    cli.add_argument("--format", default="mlcsv", choices=("mlcsv", "ml100k"))
    cli.add_argument("--questions", default="loved,watched")
    cli.add_argument("--seeds", default="1,2,3,4,5")
    cli.add_argument("--out", help="JSONL file the lines are appended to")


def splits(args) -> list[tuple[str, str, bool, int]]:
    """(question, relevance, binary, seed) for every question and seed asked, in that order."""
    questions = [q for q in QUESTIONS if q[0] in args.questions.split(",")]
    return [(*question, int(seed)) for question in questions for seed in args.seeds.split(",")]


@contextmanager
def appending(path: str | None):
    """The JSONL file at `path` open for appending, or None without a path."""
    if not path:
        yield None
        return
    with open(path, "a", encoding="utf-8") as out:
        yield out


def emit(line: dict, out, shown: dict | None = None) -> None:
    """Print a result line (or `shown`, a shorter view of it) and append it whole to the open JSONL `out`."""
    print(json.dumps(line if shown is None else shown), flush=True)
    if out:
        out.write(json.dumps(line) + "\n")
        out.flush()


def table(lines: list[dict]) -> str:
    """Markdown: one row per (question, algorithm), mean ± sd of each metric over the seeds."""
    groups = defaultdict(list)
    for line in lines:
        groups[(line["question"], line["algorithm"])].append(line)
    rows = ["| question | algorithm | seeds | " + " | ".join(METRICS) + " |", "|" + "---|" * (len(METRICS) + 3)]
    for (question, algorithm), runs in sorted(groups.items(), key=lambda kv: (kv[0][0], -mean(kv[1], "ndcg@10"))):
        cells = []
        for metric in METRICS:
            values = np.array([r[metric] for r in runs], dtype=np.float64)
            sd = values.std(ddof=1) if len(values) > 1 else 0.0
            digits = 2 if metric == "fit_s" else 4
            cells.append(f"{values.mean():.{digits}f} ± {sd:.{digits}f}")
        seeds = ",".join(str(r["seed"]) for r in runs)
        rows.append(f"| {question} | {algorithm} | {seeds} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def mean(runs: list[dict], metric: str) -> float:
    return float(np.mean([r[metric] for r in runs]))


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m benchmarks.engine_splits", description=__doc__.splitlines()[0])
    split_arguments(cli, data_required=False)
    cli.add_argument("--algorithms", default="hybrid,ease,itemknn,userknn,popularity")
    cli.add_argument("--params", help="JSON parameters given to every algorithm, e.g. '{\"l2\": 500}'")
    cli.add_argument("--label", help="name the lines carry instead of the algorithm's")
    cli.add_argument("--table", nargs="+", help="only print the table of these JSONL files")
    args = cli.parse_args(argv)
    if args.table:
        lines = []
        for path in args.table:
            with open(path, encoding="utf-8") as handle:
                lines += [json.loads(text) for text in handle if text.strip()]
    elif args.data:
        lines = run(args)
    else:
        cli.error("--data or --table is required")
    print(table(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
