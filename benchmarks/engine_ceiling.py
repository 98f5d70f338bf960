"""How far the default's blend weights are from the best weights of its components, on the test part itself.

    python -m benchmarks.engine_ceiling --data DIR --format ml100k --seeds 42,1 --questions watched
    python -m benchmarks.engine_ceiling --data DIR --seeds 42 --components ease,itemknn,userknn,infae,popularity

For every (question, seed) of `evaluate`'s protocol (`evaluation.question_split`), the default hybrid is
fitted on the training part as in production (every choice made on validation carved from training), and
its held-out nDCG@10 is the "default" figure, the one `evaluate` prints. Then the hybrid is fitted again at
the settings the search chose (l2s, neighbour counts, negative scale, the autoencoder's and the filter's
settings), with every component of --components present, and the blend weights are chosen by coordinate
ascent **on the test part**, starting from the default's weights: the "ceiling". No choice made on
validation can beat it with these components at these settings, so a goal above the ceiling needs better
components, not a better search. Content keeps the floor it has in production. One JSON line per
(question, seed) with both figures and both sets of weights.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from benchmarks.engine_splits import appending, emit, split_arguments, splits
from recommendations.engine import build_model
from recommendations.engine.base import mask_seen, top_k
from recommendations.engine.datasets import load_evaluation_ratings
from recommendations.engine.evaluation import question_split, ranking_metrics
from recommendations.engine.hybrid import COMPONENTS

STEPS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0)


def ceiling(default, train, test, users, item_texts, components: list[str], rounds: int = 3) -> dict:
    """The default's figure, and coordinate ascent of its components' weights on the test part."""
    params = {key: value for key, value in default.params.items() if key != "weights"}
    wanted = {name: 1.0 for name in components if name != "content" or item_texts is not None}
    every = build_model("hybrid", weights={**wanted, **default.weights}, **params)
    every.fit(train, item_texts=item_texts)
    H = train[users]
    scored = every.component_scores(H)

    def quality(weights: dict) -> float:
        total = np.zeros((len(users), train.shape[1]), dtype=np.float32)
        for name, (raw, scale) in scored.items():
            if weights.get(name):
                total += raw * (np.float32(weights[name]) / scale)
        mask_seen(total, H, None)
        return ranking_metrics(top_k(total, 10, every.prior)[0], test[users], 10)["ndcg@10"]

    weights = {name: float(default.weights.get(name, 0.0)) for name in scored}
    start = best = quality(weights)
    for _ in range(rounds):
        improved = False
        for name in scored:
            for step in STEPS:
                trial = {**weights, name: step}
                if not any(trial.values()) or trial == weights:
                    continue
                figure = quality(trial)
                if figure > best + 1e-9:
                    best, weights, improved = figure, trial, True
        if not improved:
            break
    return {"refitted": start, "ceiling": best, "ceiling_weights": {k: v for k, v in weights.items() if v}}


def run(args) -> list[dict]:
    data = load_evaluation_ratings(args.data, args.format)
    components = args.components.split(",")
    unknown = set(components) - set(COMPONENTS)
    if unknown:
        raise SystemExit(f"unknown component(s): {', '.join(sorted(unknown))}; choose from {', '.join(COMPONENTS)}")
    lines = []
    with appending(args.out) as out:
        for question, relevance, binary, seed in splits(args):
            train, test, _ = question_split(data.matrix, relevance, binary, seed=seed)
            users = np.flatnonzero(np.diff(test.indptr) > 0)
            default = build_model("hybrid").fit(train, item_texts=data.item_texts)
            recs, _ = default.recommend(train[users], 10)
            line = {"question": question, "seed": seed,
                    "default": round(ranking_metrics(recs, test[users], 10)["ndcg@10"], 4),
                    "default_weights": {k: round(v, 4) for k, v in default.weights.items()}}  # fmt: skip
            found = ceiling(default, train, test, users, data.item_texts, components)
            line.update({k: round(v, 4) if isinstance(v, float) else v for k, v in found.items()})
            lines.append(line)
            emit(line, out)
    return lines


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m benchmarks.engine_ceiling", description=__doc__.splitlines()[0])
    split_arguments(cli)
    cli.add_argument(
        "--components",
        default="ease,itemknn,userknn,infae,popularity,content",
        help="components fitted beside the default's own (the default's are always there)",
    )
    run(cli.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
