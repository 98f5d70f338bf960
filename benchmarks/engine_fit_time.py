"""Fit time of one algorithm on the training part of each evaluation question (seed 1 by default).

    python -m benchmarks.engine_fit_time --data data/ml-latest-small --algorithm hybrid --repeat 2

Prints one JSON line per fit with the seconds and the parameters the fit chose (the hybrid's tuned
weights). Run it with another checkout's engine first on PYTHONPATH to compare two versions in one session.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from recommendations.engine import build_model
from recommendations.engine.datasets import load_evaluation_ratings
from recommendations.engine.evaluation import question_split

QUESTIONS = (("loved", "liked", False), ("watched", "all", True))


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m benchmarks.engine_fit_time", description=__doc__.splitlines()[0])
    cli.add_argument("--data", required=True)
    cli.add_argument("--format", default="mlcsv", choices=("mlcsv", "ml100k"))
    cli.add_argument("--algorithm", default="hybrid")
    cli.add_argument("--seed", type=int, default=1)
    cli.add_argument("--repeat", type=int, default=1)
    cli.add_argument("--label", default="")
    args = cli.parse_args(argv)
    data = load_evaluation_ratings(args.data, args.format)
    for _ in range(args.repeat):
        for question, relevance, binary in QUESTIONS:
            train, _, _ = question_split(data.matrix, relevance, binary, seed=args.seed)
            started = time.perf_counter()
            model = build_model(args.algorithm).fit(train, item_texts=data.item_texts)
            seconds = time.perf_counter() - started
            line = {"label": args.label, "algorithm": args.algorithm, "question": question, "fit_s": round(seconds, 2)}
            print(json.dumps({**line, "params": model.params}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
