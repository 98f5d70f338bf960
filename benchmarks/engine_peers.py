"""Peers tuned on the test split itself: the strongest each family can do on a question and split.

    python -m benchmarks.engine_peers --data data/ml-latest-small --seeds 1,2,3,4,5 --out var/peers.jsonl
    python -m benchmarks.engine_peers --data DIR --format ml100k --seeds 42 --peers ease,implicit_als
    python -m benchmarks.engine_peers --data DIR --format ml100k --seeds 42 --peers slim  # not in the default list

For every (question, seed) of `evaluate`'s protocol (`evaluation.question_split`), each peer is fitted on
the training part once per point of its grid and scored on the test part; the best point is the peer's
figure. That is an upper bound no deployed model can reach (it chooses on the answers), which is the
bar the engine's goals set (docs/engine.md): the default, which chooses on validation carved from
training only, is compared with it. One JSON line per (peer, question, seed) with the winning
parameters and every grid point's nDCG@10.

For the loved question each peer is tried on four inputs, and the best counts: the production weighting
("weighted"), its positive part ("positive": low ratings dropped), the ratings >= 4 alone as plain
positives ("liked"), and every rating as a plain positive ("all"). Lists are always
top-10 among items the person has not rated in training. `implicit_als` needs `implicit`
(requirements-dev.txt).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time

import numpy as np
import scipy.sparse as sp

from benchmarks.engine_splits import appending, emit, split_arguments, splits
from recommendations.engine import build_model
from recommendations.engine.base import popularity_prior, positive_part, top_k
from recommendations.engine.datasets import load_evaluation_ratings
from recommendations.engine.ease import seen
from recommendations.engine.evaluation import question_split, ranking_metrics

GRIDS = {
    "ease": {"l2": (10, 25, 50, 100, 200, 400, 800, 1600, 3200, 6400)},
    "itemknn": {"k": (25, 50, 100, 200, 400), "shrinkage": (0.0, 10.0, 50.0)},
    "userknn": {"k": (25, 50, 100, 200), "shrinkage": (0.0, 10.0, 50.0)},
    "rp3beta": {"alpha": (0.5, 1.0), "beta": (0.0, 0.2, 0.35, 0.5, 0.65), "k": (50, 100, 200)},
    "infae": {"l2": (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0)},
    "lowpass": {"factors": (16, 32, 48, 64, 96, 128, 192)},
    "slim": {"l2": (100, 200, 400, 800, 1600), "l1": (1.0, 5.0, 20.0)},
    "implicit_als": {"factors": (64, 128, 256), "regularization": (0.01, 0.1, 1.0), "alpha": (1.0, 5.0, 20.0)},
}


def inputs_for(train: sp.csr_matrix, binary: bool) -> dict[str, sp.csr_matrix]:
    """What a peer may be fitted on: the training part as is and, for graded data, three readings of it."""
    if binary:
        return {"weighted": train}
    liked = train.copy()
    liked.data = (liked.data >= 2.0).astype(np.float32)  # 4 stars and up (production weight >= 2)
    liked.eliminate_zeros()
    return {"weighted": train, "positive": positive_part(train), "liked": liked, "all": seen(train)}


class ImplicitALS:
    """`implicit`'s CPU ALS behind the engine's fit/scores shape (benchmarks only)."""

    def __init__(self, factors: int, regularization: float, alpha: float):
        from implicit.cpu.als import AlternatingLeastSquares

        self.model = AlternatingLeastSquares(
            factors=factors, regularization=regularization, alpha=alpha, iterations=15, random_state=0
        )

    def fit(self, X: sp.csr_matrix, **_):
        self.model.fit(positive_part(X), show_progress=False)
        return self

    def scores(self, H: sp.csr_matrix) -> np.ndarray:
        U = self.model.recalculate_user(np.arange(H.shape[0]), positive_part(H))
        return (np.asarray(U) @ np.asarray(self.model.item_factors).T).astype(np.float32)


def make(peer: str, point: dict):
    if peer == "implicit_als":
        return ImplicitALS(**point)
    if peer == "ease":
        return build_model("ease", max_items=20_000, **point)
    return build_model(peer, **point)


def score_point(peer: str, point: dict, fit_on: sp.csr_matrix, seen: sp.csr_matrix, test: sp.csr_matrix, users):
    model = make(peer, point).fit(fit_on)
    scores = np.asarray(model.scores(fit_on[users]), dtype=np.float32)
    rows = seen[users].tocoo()
    scores[rows.row, rows.col] = -np.inf
    recs, _ = top_k(scores, 10, popularity_prior(fit_on))
    return ranking_metrics(recs, test[users], 10)


def run(args) -> list[dict]:
    data = load_evaluation_ratings(args.data, args.format)
    lines = []
    with appending(args.out) as out:
        for question, relevance, binary, seed in splits(args):
            train, test, _ = question_split(data.matrix, relevance, binary, seed=seed)
            users = np.flatnonzero(np.diff(test.indptr) > 0)
            inputs = inputs_for(train, binary)
            for peer in args.peers.split(","):
                grid = {**GRIDS[peer], **json.loads(args.grid or "{}").get(peer, {})}
                trials = []
                started = time.perf_counter()
                for name, fit_on in inputs.items():
                    for values in itertools.product(*grid.values()):
                        point = dict(zip(grid, values, strict=True))
                        metrics = score_point(peer, point, fit_on, train, test, users)
                        trials.append({"input": name, **point, "ndcg@10": round(metrics["ndcg@10"], 4)})
                best = max(trials, key=lambda t: t["ndcg@10"])
                line = {"peer": peer, "question": question, "seed": seed, "best": best,
                        "seconds": round(time.perf_counter() - started, 1), "trials": trials}  # fmt: skip
                lines.append(line)
                emit(line, out, {k: v for k, v in line.items() if k != "trials"})
    return lines


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m benchmarks.engine_peers", description=__doc__.splitlines()[0])
    split_arguments(cli)
    cli.add_argument("--peers", default="ease,itemknn,userknn,rp3beta,infae,lowpass,implicit_als")
    cli.add_argument("--grid", help='JSON replacing grid values, e.g. \'{"ease": {"l2": [200, 400]}}\'')
    run(cli.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
