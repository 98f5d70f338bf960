"""Fit time and peak memory of the default model against `implicit`'s ALS on the same matrix, in one run.

    python -m benchmarks.engine_scale --matrix var/ml20m.npz          # written first if it does not exist
    python -m benchmarks.engine_scale --matrix var/ml20m.npz --only hybrid
    python -m benchmarks.engine_scale --matrix var/ml20m-graded.npz --graded   # star ratings, 13% negative

The matrix is an ML-20M-shaped synthetic CSR (`engine.synthetic`, 138,493 x 26,744, ~20M entries) unless
the file exists already. Each fit runs in its own child process, one after the other, so each peak RSS is
that fit's alone. The hybrid's line carries the seconds spent in each stage (validation search steps,
co-occurrences, EASE inverse, RP3beta walk, component fits). `implicit` is a development dependency
(requirements-dev.txt); the product never imports it.
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import os
import resource
import sys
import time
from collections import defaultdict

import numpy as np
import scipy.sparse as sp


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(path: str) -> sp.csr_matrix:
    return sp.load_npz(path).tocsr().astype(np.float32)


def timed(stages: dict, name: str, module, attribute: str) -> None:
    """Replace module.attribute by a wrapper adding its wall time to stages[name]."""
    original = getattr(module, attribute)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            stages[name] += time.perf_counter() - started

    setattr(module, attribute, wrapper)


def fit_hybrid(path: str, queue) -> None:
    from recommendations.engine import build_model, ease, hybrid, ials, knn, rp3beta, tuning

    X = load(path)
    stages = defaultdict(float)
    timed(stages, "validation (all of tune)", hybrid, "tune")
    searches = ("search_ease", "search_exposure", "search_neighbours", "search_rp3beta", "search_ials")
    for name in ("Validation", *searches, "blend"):
        timed(stages, f"validation: {name}", tuning, name)
    timed(stages, "co-occurrences (item-kNN + EASE gram)", hybrid, "item_similarity")
    timed(stages, "EASE inverse (all)", ease, "ease_weights")
    timed(stages, "RP3beta walk (all)", rp3beta, "walk_weights")
    timed(stages, "iALS fit (all)", ials.IALS, "_fit")
    for name, cls in (("ease and exposure", ease.EASE), ("itemknn", knn.ItemKNN), ("rp3beta", rp3beta.RP3beta)):
        timed(stages, f"final fit: {name}", cls, "fit")
    started = time.perf_counter()
    model = build_model("hybrid").fit(X)
    seconds = time.perf_counter() - started
    queue.put(
        {
            "model": "hybrid (default)",
            "fit_s": round(seconds, 1),
            "peak_rss_mb": round(peak_mb()),
            "weights": model.params["weights"],
            "stages_s": {k: round(v, 1) for k, v in stages.items()},
        }
    )


def fit_implicit(path: str, queue) -> None:
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    X = load(path)
    model = AlternatingLeastSquares(factors=64, iterations=15, calculate_training_loss=False, random_state=0)
    with threadpool_limits(1, "blas"):  # implicit's advice: its own threads, single-threaded BLAS
        started = time.perf_counter()
        model.fit(X, show_progress=False)
        seconds = time.perf_counter() - started
    queue.put(
        {
            "model": "implicit ALS (64 factors, 15 iterations, CG)",
            "fit_s": round(seconds, 1),
            "peak_rss_mb": round(peak_mb()),
        }
    )


def fit_ials(path: str, queue) -> None:
    from recommendations.engine import build_model

    X = load(path)
    started = time.perf_counter()
    build_model("ials").fit(X)
    seconds = time.perf_counter() - started
    queue.put(
        {
            "model": "engine iALS (64 factors, 15 iterations, CG)",
            "fit_s": round(seconds, 1),
            "peak_rss_mb": round(peak_mb()),
        }
    )


def write_matrix(path: str, graded: bool) -> None:
    from recommendations.engine.synthetic import synthetic_matrix
    from recommendations.engine.weighting import rating_weights

    X = synthetic_matrix()
    if graded:  # each entry a star rating (MovieLens-like shares) through the production weighting
        stars = np.arange(1, 11) / 2
        shares = [0.01, 0.03, 0.02, 0.07, 0.05, 0.2, 0.1, 0.27, 0.08, 0.17]
        X.data = rating_weights(np.random.default_rng(5).choice(stars, X.nnz, p=shares))
    sp.save_npz(path, X, compressed=False)


def in_child(target, *args):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=target, args=(*args, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


RUNS = {"implicit": fit_implicit, "hybrid": fit_hybrid, "ials": fit_ials}


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m benchmarks.engine_scale", description=__doc__.splitlines()[0])
    cli.add_argument("--matrix", required=True, help="scipy .npz user x item matrix (written if missing)")
    cli.add_argument("--only", default="implicit,hybrid", help=f"comma-separated among {', '.join(RUNS)}")
    cli.add_argument("--graded", action="store_true", help="a missing matrix is written with star ratings, not ones")
    args = cli.parse_args(argv)
    if not os.path.exists(args.matrix):
        child = multiprocessing.get_context("spawn").Process(target=write_matrix, args=(args.matrix, args.graded))
        child.start()
        child.join()
    X = load(args.matrix)
    print(json.dumps({"users": X.shape[0], "items": X.shape[1], "interactions": X.nnz, "threads": os.cpu_count()}))
    del X
    for name in args.only.split(","):
        print(json.dumps(in_child(RUNS[name], args.matrix)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
