"""Command line: offline recommend, evaluate and bench, on the platform's default configuration.

python -m recommendations.engine recommend --train TRAIN.csv [--items ITEMS.csv] --k 10 --out RECS.csv
python -m recommendations.engine evaluate --data DIR --format mlcsv|ml100k [--algorithm NAME]
    [--relevance liked|all] [--binary] [--seed N] [--diversity X] --json
python -m recommendations.engine bench (--matrix M.npz | --synthetic ml20m) --json
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time

import numpy as np
import scipy.sparse as sp

from recommendations.engine import ALGORITHMS, build_model
from recommendations.engine.datasets import (
    DataError,
    genre_matrix,
    load_evaluation_ratings,
    read_interactions,
    read_item_texts,
    to_dataset,
)
from recommendations.engine.evaluation import QUESTIONS, RELEVANCES, evaluate_question
from recommendations.engine.hybrid import COMPONENTS
from recommendations.engine.synthetic import synthetic_matrix
from recommendations.engine.weighting import rating_weights


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m recommendations.engine", description=__doc__.splitlines()[0])
    commands = main.add_subparsers(dest="command", required=True)
    rec = commands.add_parser("recommend", help="top-k unseen items for every user of a training file")
    rec.add_argument("--train", required=True, help="CSV with header user,item,rating,timestamp")
    rec.add_argument("--items", help="CSV with header item,title,genres (genres |-separated)")
    rec.add_argument("--k", type=int, default=10)
    rec.add_argument("--out", required=True, help="CSV written with header user,item,rank,score")
    rec.add_argument("--algorithm", default="hybrid", choices=sorted(ALGORITHMS))
    ev = commands.add_parser(
        "evaluate",
        help="per-user 75/25 holdout, top-10 metrics; by default both questions: loved (--relevance liked) "
        "and watched (--relevance all --binary)",
    )
    ev.add_argument("--data", required=True, help="dataset directory")
    ev.add_argument("--format", default="mlcsv", choices=("mlcsv", "ml100k"))
    ev.add_argument("--algorithm", choices=sorted(ALGORITHMS), help="default: every algorithm")
    ev.add_argument(
        "--relevance",
        choices=RELEVANCES,
        help="liked: a held-out item is relevant when rated >= 4; all: every held-out interaction is relevant",
    )
    ev.add_argument(
        "--binary",
        action="store_true",
        help="train on every interaction as a plain positive instead of the production weighting of ratings",
    )
    ev.add_argument("--seed", type=int, default=42, help="seed of the per-user split (default 42)")
    ev.add_argument(
        "--diversity",
        type=diversity_values,
        help="re-rank each list for genre diversity (0 = plain ranking .. 1 = most spread), or several "
        "comma-separated values fitted once; adds ild@10, the lists' intra-list diversity",
    )
    ev.add_argument("--json", action="store_true", help="one JSON object per line (the default output)")
    bench = commands.add_parser("bench", help="fit time and peak memory of the default model")
    source = bench.add_mutually_exclusive_group(required=True)
    source.add_argument("--matrix", help="scipy.sparse.save_npz user x item matrix")
    source.add_argument("--synthetic", choices=("ml20m",))
    bench.add_argument("--algorithm", default="hybrid", choices=sorted(ALGORITHMS))
    bench.add_argument(
        "--weights",
        help="hybrid only: fixed blend weights instead of tuning them, e.g. ease=1,itemknn=0.5,userknn=0.5",
    )
    bench.add_argument("--json", action="store_true")
    return main


def run_recommend(args) -> None:
    if args.k <= 0:
        raise DataError("--k must be positive")
    data = read_interactions(args.train)
    if len(data.users) == 0:
        raise DataError(f"{args.train}: no interactions")
    texts = read_item_texts(args.items) if args.items else None
    # The platform's weighting: low ratings are negative evidence and never come back.
    dataset = to_dataset(data, rating_weights_checked(data.ratings, args.train), texts)
    timestamps = dataset.timestamps if np.isfinite(dataset.timestamps).all() else None
    model = build_model(args.algorithm).fit(dataset.matrix, item_texts=dataset.item_texts, timestamps=timestamps)
    items, scores = model.recommend(dataset.matrix, args.k)
    with open(args.out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user", "item", "rank", "score"])
        for user, row_items, row_scores in zip(dataset.user_ids, items, scores, strict=True):
            for rank, (item, score) in enumerate(zip(row_items, row_scores, strict=True), start=1):
                if item >= 0:
                    writer.writerow([user, dataset.item_ids[item], rank, f"{score:.6g}"])


def rating_weights_checked(ratings: np.ndarray, path: str) -> np.ndarray:
    bad = np.flatnonzero((ratings < 0) | (ratings > 5))
    if len(bad):
        raise DataError(f"{os.path.basename(path)} line {bad[0] + 2}: rating must be between 0 and 5")
    return rating_weights(ratings)


def diversity_values(text: str) -> list[float]:
    """ "0,0.5,1" -> [0.0, 0.5, 1.0], each between 0 and 1."""
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers between 0 and 1, got {text!r}") from None
    if not all(0 <= v <= 1 for v in values):
        raise argparse.ArgumentTypeError(f"every value must be between 0 and 1, got {text!r}")
    return values


def evaluation_questions(args) -> list[tuple[str, str, bool]]:
    """(question, relevance, binary) to measure: the one the flags name, or both standard questions."""
    if args.relevance is None and not args.binary:
        return list(QUESTIONS)
    relevance = args.relevance or "all"
    named = {(r, b): q for q, r, b in QUESTIONS}
    return [(named.get((relevance, args.binary), "custom"), relevance, args.binary)]


def run_evaluate(args) -> None:
    data = load_evaluation_ratings(args.data, args.format)
    names = [args.algorithm] if args.algorithm else list(ALGORITHMS)
    genres = None
    if args.diversity is not None:
        genres = genre_matrix(args.data, args.format, data.item_ids)
        if genres.nnz == 0:
            raise DataError(f"{args.data}: --diversity needs the items' genres (movies.csv or u.item)")
    for name in names:
        for question, relevance, binary in evaluation_questions(args):
            results = evaluate_question(
                lambda name=name: build_model(name),
                data.matrix,
                relevance=relevance,
                binary=binary,
                item_texts=data.item_texts,
                timestamps=data.timestamps,
                features=genres,
                diversities=args.diversity,
                seed=args.seed,
            )
            label = {"algorithm": name, "question": question, "relevance": relevance, "binary": binary}
            for metrics in results:
                line = {**label, "seed": args.seed, **{k: round(v, 4) for k, v in metrics.items()}}
                print(json.dumps(line), flush=True)


def generate_synthetic(path: str) -> None:
    sp.save_npz(path, synthetic_matrix(), compressed=False)


def blend_weights(text: str) -> dict[str, float]:
    """ "ease=1,itemknn=0.5" -> {"ease": 1.0, "itemknn": 0.5}, with a clear error for anything else."""
    weights = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in COMPONENTS:
            raise DataError(f"--weights: unknown component {name!r} (one of {', '.join(COMPONENTS)})")
        try:
            weights[name] = float(value)
        except ValueError:
            raise DataError(f"--weights: {part.strip()!r} needs a number after '='") from None
    return weights


def run_bench(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = args.matrix
        if args.synthetic:
            # Generated in a child process so its memory does not count as the fit's.
            path = os.path.join(tmp, "synthetic.npz")
            child = multiprocessing.get_context("spawn").Process(target=generate_synthetic, args=(path,))
            child.start()
            child.join()
            if child.exitcode:
                raise DataError("generating the synthetic matrix failed")
        try:
            X = sp.load_npz(path).tocsr().astype(np.float32)
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: not a scipy sparse .npz matrix ({exc})") from None
    params = {"weights": blend_weights(args.weights)} if args.weights else {}
    if params and args.algorithm != "hybrid":
        raise DataError("--weights applies to the hybrid only")
    started = time.perf_counter()
    model = build_model(args.algorithm, **params).fit(X)
    fit_s = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    shape = {"users": X.shape[0], "items": X.shape[1], "interactions": X.nnz}
    print(json.dumps({"algorithm": args.algorithm, **shape, "params": model.params}))
    print(json.dumps({"fit_s": round(fit_s, 2), "peak_rss_mb": round(peak, 1)}))


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    commands = {"recommend": run_recommend, "evaluate": run_evaluate, "bench": run_bench}
    try:
        commands[args.command](args)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
