"""Automatic choice of the hybrid's hyper-parameters and blend weights.

Everything is decided on a validation split carved out of the training matrix
(a per-user holdout of it), never on test data, so the same code adapts to a
catalog it has never seen. Grids are relative to the data: EASE's l2 scales
with the mean squared confidence, neighbour counts are searched on a log grid.
On large data the search runs on a random subset of users.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from recommendations.engine.base import (
    Recommender,
    mask_seen,
    popularity_prior,
    positive_part,
    row_scale,
    scale_negatives,
    top_k,
)
from recommendations.engine.content import Content
from recommendations.engine.ease import EASE, Exposure, active_items, ease_weights, gram, seen, side_gram
from recommendations.engine.evaluation import holdout_mask, split, user_ndcg
from recommendations.engine.ials import IALS
from recommendations.engine.infae import InfiniteAE, arccos_kernel, kernel_weights, row_norms
from recommendations.engine.knn import ItemKNN, engine_threads, item_similarity, truncate_rows
from recommendations.engine.lowpass import LowPass, item_directions
from recommendations.engine.popularity import Popularity
from recommendations.engine.rp3beta import RP3beta, walk_weights
from recommendations.engine.slim import SLIM
from recommendations.engine.userknn import UserKNN

DEFAULTS = {
    "ease_l2": 250.0,
    "ease_side_ratio": 0.0,
    "ease_dropout": 0.0,  # 0: plain EASE (see ease.py); chosen on validation only with search_dropout
    "exposure_l2": 250.0,  # EASE on exposure (every rated or used item as 1)
    "exposure_dropout": 0.0,
    # On ml-latest-small the 3,000 most active items give the same held-out figures as 8,000 (0.3617 vs
    # 0.3621 over five splits) for a fifth of the memory (36 MB rather than 158 MB).
    "exposure_max_items": 3_000,
    "ease_max_items": 8_000,  # dense inverse: ~2 s and ~0.8 GB at this size
    "tuning_max_items": 3_000,  # EASE searches run on this many most active items
    "itemknn_k": 100,
    "userknn_k": 50,
    "shrinkage": 10.0,
    "rp3beta_alpha": 1.0,
    "rp3beta_beta": 0.5,
    "rp3beta_k": 100,
    "infae_l2": 2.0,  # times the mean of the kernel's diagonal
    # The infinite-width autoencoder's fit is cubic in the people and its weights hold people x items
    # floats: it joins the search only up to these sizes (a 6,000 x 3,700 catalog: ~90 MB of weights).
    "infae_max_users": 8_000,
    "infae_max_cells": 40_000_000,
    "lowpass_factors": 64,
    # The low-pass filter joins the search up to this many training interactions: above it the denser
    # split's refit of the other components would cost as much as the final fit again.
    "lowpass_max_interactions": 2_000_000,
    # The autoencoder's and the low-pass filter's settings and weights are chosen on this denser split
    # (add_on_denser_split).
    "dense_validation_fraction": 0.1,
    "slim_l2": 250.0,
    "slim_l1": 5.0,
    "slim_max_items": 3_000,  # regressions run over (and for) this many most active items
    "ials_factors": 64,
    "ials_l2": 20.0,
    "ials_alpha": 2.0,
    # iALS joins the search only up to this many training interactions: its numpy CG fit is
    # ~2 s per 100k interactions, far from a C++ ALS on large data.
    "ials_max_interactions": 1_000_000,
    # RP3beta and iALS enter the search only when asked, and the two choices below stay at the
    # previous behaviour: on ml-latest-small over five splits none of them did better on held-out
    # data than before, RP3beta and iALS for twice the fit time (docs/engine.md, "Offline results").
    # With graded feedback (ratings, weighted events), EASE on exposure joins the search.
    "search_exposure": True,
    # EASE's and exposure's dropout: searched on DROPOUTS when asked, else kept at ease_dropout and
    # exposure_dropout with l2 searched there. Off: searched or fixed at 0.25, it did no better on
    # held-out data than plain EASE over 18 splits of three datasets (docs/engine.md).
    "search_dropout": False,
    # The infinite-width autoencoder and the low-pass filter, added to the blend on a denser validation
    # split (add_on_denser_split) when the data is within their budgets (the filter: graded data only).
    # The autoencoder gained on MovieLens 100k and Last.fm plays, data no default was chosen on; the
    # filter on the ratings of all three MovieLens sets measured (docs/engine.md).
    "search_infae": True,
    "search_lowpass": True,
    "search_rp3beta": False,
    "search_ials": False,
    # SLIM likewise: chosen on validation it gained 0.0015 on Last.fm plays and lost 0.0019 on MovieLens
    # 100k loved, within 0.001 elsewhere, for 2-4 s per fit, several per search (docs/engine.md).
    "search_slim": False,
    # Keep a blend change only when it gains more than this many standard errors of the per-user gains.
    "blend_min_se": 0.0,
    # Which held-out validation items are relevant: "all" positives, or "strong" ones (see strong_positives).
    "validation_relevance": "all",
    "validation_fraction": 0.25,
    # Hold out validation items of this share of the users only, so the others train the searched models
    # with all they have (denser, closer to the final fit) at the cost of fewer validation users. 1: every
    # user, the default: 0.5 gained on music plays but lost on MovieLens (docs/engine.md).
    "validation_user_share": 1.0,
    "negative_scale": 1.0,  # negative history entries count this much when scoring; chosen with EASE's l2
    "seed": 42,
    "max_tuning_interactions": 2_000_000,  # larger data: tune on a random subset of users
    "max_validation_cells": 40_000_000,  # validation users x items scored per component
    "validation_ndcg": None,  # filled in by tuning: each component's and the blend's nDCG@10
    # Filled in by add_on_denser_split: the blend on the denser split without what it adds, with the
    # low-pass filter, and with both; and each of them alone there.
    "dense_validation_ndcg": None,
}
L2_FACTORS = (50, 100, 200, 400, 800, 1600, 3200)  # times the mean squared confidence
# How much a negative history entry (a low rating, a dislike) pushes similar items down when scoring:
# chosen with EASE's l2. Never 0, so a dislike always pushes down; on MovieLens a full-strength
# negative history costs EASE several percent of held-out nDCG (docs/engine.md).
NEGATIVE_SCALES = (0.1, 0.25, 0.5, 1.0)
# EASE's input dropout (ease.py): the extra penalty on each item's weights, p / (1 - p) times its own
# activity, searched (with search_dropout) from 0, plain EASE, upward at the chosen l2.
DROPOUTS = (0.0, 0.25, 0.5, 0.75)
SIDE_RATIOS = (0.025, 0.05, 0.1, 0.2, 0.4, 0.8)  # weight of item documents in EASE, times l2
NEIGHBOURS = (25, 50, 100, 200)
SLIM_L1_SHARE = 0.02  # SLIM's l1 penalty, times its l2
IALS_L2 = (5.0, 10.0, 20.0, 40.0, 80.0)
INFAE_L2 = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0)  # times the mean of the kernel's diagonal
LOWPASS_FACTORS = (32, 64, 128)  # the low-pass filter's directions, the first of one SVD
ADDED_WEIGHTS = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0)  # of a component added to the blend of the others
BETAS = (0.0, 0.2, 0.35, 0.5, 0.65, 0.8)  # RP3beta's popularity discount
WEIGHT_STEPS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0)


def build_component(name: str, params: dict) -> Recommender:
    """A component model from the hybrid's (tuned) parameters."""
    if name == "ease":
        return EASE(
            l2=params["ease_l2"],
            max_items=params["ease_max_items"],
            side_ratio=params["ease_side_ratio"],
            dropout=params["ease_dropout"],
        )
    if name == "exposure":
        return Exposure(
            l2=params["exposure_l2"], max_items=params["exposure_max_items"], dropout=params["exposure_dropout"]
        )
    if name == "itemknn":
        return ItemKNN(k=params["itemknn_k"], shrinkage=params["shrinkage"])
    if name == "userknn":
        return UserKNN(k=params["userknn_k"], shrinkage=params["shrinkage"])
    if name == "rp3beta":
        return RP3beta(alpha=params["rp3beta_alpha"], beta=params["rp3beta_beta"], k=params["rp3beta_k"])
    if name == "infae":
        return InfiniteAE(l2=params["infae_l2"])
    if name == "lowpass":
        return LowPass(factors=params["lowpass_factors"])
    if name == "slim":
        return SLIM(l1=params["slim_l1"], l2=params["slim_l2"], max_items=params["slim_max_items"])
    if name == "ials":
        return IALS(factors=params["ials_factors"], l2=params["ials_l2"], alpha=params["ials_alpha"])
    return Content() if name == "content" else Popularity()


def tuning_users(X: sp.csr_matrix, budget: int, rng) -> sp.csr_matrix:
    """X itself, or a random subset of its users holding about `budget` interactions."""
    if X.nnz <= budget:
        return X
    order = rng.permutation(X.shape[0])
    count = int(np.searchsorted(np.cumsum(np.diff(X.indptr)[order]), budget)) + 1
    return X[np.sort(order[:count])]


def strong_positives(test: sp.csr_matrix, train: sp.csr_matrix) -> sp.csr_matrix:
    """The held-out entries at least as strong as the median positive confidence of training.

    With equal confidences (plays, clicks, binary data) that is every held-out positive; with
    graded ones (ratings through the production weighting) it is what people valued most: on
    MovieLens the median is 2.0, a rating of 4 stars, so validation asks the "loved" question.
    """
    positive = train.data[train.data > 0]
    if len(positive) == 0:
        return test
    strong = test.copy()
    strong.data = np.where(strong.data >= np.median(positive), strong.data, 0).astype(np.float32)
    strong.eliminate_zeros()
    return strong


class Validation:
    """Validation users' training rows and held-out items, and nDCG@10 of a score matrix.

    Every held-out positive is relevant, or with validation_relevance="strong" those at least as
    strong as the median confidence (`strong_positives`).
    """

    def __init__(self, X: sp.csr_matrix, params: dict):
        rng = np.random.default_rng(params["seed"])
        world = tuning_users(X, params["max_tuning_interactions"], rng)
        mask = holdout_mask(world, params["validation_fraction"], params["seed"] + 1)
        if params["validation_user_share"] < 1.0:
            # Hold out items of a share of the users only: the others train with all they have.
            picked = np.random.default_rng(params["seed"] + 2).random(world.shape[0]) < params["validation_user_share"]
            mask &= np.repeat(picked, np.diff(world.indptr))
        self.train, test = split(world, mask)
        if params["validation_relevance"] == "strong":
            test = strong_positives(test, self.train)
        users = np.flatnonzero(np.diff(test.indptr) > 0)
        cap = max(100, params["max_validation_cells"] // (5 * max(X.shape[1], 1)))
        if len(users) > cap:
            users = np.sort(rng.choice(users, cap, replace=False))
        self.history, self.test = self.train[users], test[users]
        self.H = scale_negatives(self.history, params["negative_scale"])
        self.prior = popularity_prior(self.train)

    def scale_negatives(self, factor: float) -> None:
        """Score validation histories with their negative entries times `factor` from now on."""
        self.H = scale_negatives(self.history, factor)

    def prepare(self, raw: np.ndarray) -> np.ndarray:
        """Row-normalised scores with seen items at -inf."""
        scores = raw / row_scale(raw)
        mask_seen(scores, self.H, None)
        return scores

    def score(self, scores: np.ndarray) -> float:
        return float(np.mean(self.user_scores(scores)))

    def user_scores(self, scores: np.ndarray) -> np.ndarray:
        """(n,) nDCG@10 of each validation user with a relevant held-out item."""
        return user_ndcg(top_k(scores, 10, self.prior)[0], self.test, 10)


def hill_climb(evaluate, grid: tuple, start: int) -> tuple[int, tuple]:
    """Walk the grid from `start` while the score improves: (best index, evaluate's result there)."""
    results = {start: evaluate(grid[start])}
    for step in (-1, 1):
        i = start
        while 0 <= i + step < len(grid):
            results[i + step] = evaluate(grid[i + step])
            if results[i + step][0] <= results[i][0]:
                break
            i += step
    best = max(results, key=lambda i: results[i][0])
    return best, results[best]


class L2Choice(NamedTuple):
    """What `_search_l2` found for an EASE-like model on validation."""

    l2: float
    dropout: float
    side_ratio: float
    negative_scale: float
    scores: np.ndarray  # prepared validation scores at that choice
    quality: float  # their nDCG@10


def search_ease(val: Validation, item_texts, params: dict) -> tuple[dict, np.ndarray | None, float]:
    """EASE's l2 and dropout, then the weight of item documents: (chosen params, prepared scores, nDCG).

    The search runs on the most active items only (a cubic cost); what it
    finds are relative settings that carry over to the full model.
    """
    max_items = min(params["ease_max_items"], params["tuning_max_items"])
    dropouts = DROPOUTS if params["search_dropout"] else (params["ease_dropout"],)
    found = _search_l2(val, val.train, EASE(), max_items, item_texts, dropouts, NEGATIVE_SCALES)
    if found is None:
        return {}, None, -1.0
    chosen = {
        "ease_l2": found.l2,
        "ease_dropout": found.dropout,
        "ease_side_ratio": found.side_ratio,
        "negative_scale": found.negative_scale,
    }
    return chosen, found.scores, found.quality


def search_exposure(val: Validation, params: dict) -> tuple[dict, np.ndarray | None, float]:
    """The l2 and dropout of EASE on exposure (every rated or used item as 1):
    (chosen params, prepared scores, nDCG)."""
    max_items = min(params["exposure_max_items"], params["tuning_max_items"])
    dropouts = DROPOUTS if params["search_dropout"] else (params["exposure_dropout"],)
    found = _search_l2(val, seen(val.train), Exposure(), max_items, None, dropouts)
    if found is None:
        return {}, None, -1.0
    return {"exposure_l2": found.l2, "exposure_dropout": found.dropout}, found.scores, found.quality


def mean_squared_positive(X: sp.csr_matrix) -> float:
    """The unit of the linear models' l2 grids: the mean squared positive confidence of X (1 with none)."""
    positive = X.data[X.data > 0]
    return float(np.mean(positive.astype(np.float64) ** 2)) if len(positive) else 1.0


def _search_l2(
    val: Validation,
    train: sp.csr_matrix,
    model: EASE,
    max_items: int,
    item_texts,
    dropouts: tuple = (0.0,),
    negative_scales: tuple = (1.0,),
) -> L2Choice | None:
    """l2 by hill-climbing at dropouts[0]; with several dropouts, then the dropout at that l2 (walking
    up from dropouts[0]) and l2 again at the dropout chosen (a higher dropout wants a lower l2). At each
    point the best of `negative_scales` (scores are linear in the history, so each scale costs a sum,
    not a fit). Then, with item documents, the side ratio. None when fewer than two items are active."""
    items = active_items(train, max_items, 2)
    if len(items) < 2:
        return None
    G = gram(train, items)
    unit = mean_squared_positive(train)
    model.n_items, model.items, model.prior = train.shape[1], items, val.prior
    if not np.any(val.history.data < 0):
        negative_scales = (1.0,)
    if len(negative_scales) > 1:
        liked = positive_part(val.history)
        disliked = val.history - liked

    def evaluate_with(extra: np.ndarray | None, l2: float, dropout: float):
        model.B = ease_weights(G if extra is None else G + extra, l2, dropout)
        if len(negative_scales) == 1:
            scores = val.prepare(model.scores(scale_negatives(val.history, negative_scales[0])))
            return val.score(scores), scores, negative_scales[0]
        up, down = model.scores(liked), model.scores(disliked)
        best = (-1.0, None, 1.0)
        for factor in negative_scales:
            scores = val.prepare(up + np.float32(factor) * down)
            quality = val.score(scores)
            if quality > best[0]:
                best = (quality, scores, factor)
        return best

    done: dict[tuple[int, int], tuple] = {}  # (l2 index, dropout index) -> evaluate_with's result

    def at(i: int, j: int) -> tuple:
        if (i, j) not in done:
            done[i, j] = evaluate_with(None, L2_FACTORS[i] * unit, dropouts[j])
        return done[i, j]

    i, _ = hill_climb(lambda i: at(i, 0), range(len(L2_FACTORS)), 2)
    j, _ = hill_climb(lambda j: at(i, j), range(len(dropouts)), 0)
    if j:
        i, _ = hill_climb(lambda i: at(i, j), range(len(L2_FACTORS)), i)
    quality, scores, factor = done[i, j]
    l2, dropout, side_ratio = L2_FACTORS[i] * unit, dropouts[j], 0.0
    if item_texts is not None:
        FF = side_gram(item_texts, items)
        k, (q, s, c) = hill_climb(lambda r: evaluate_with(np.float32(r * l2) * FF, l2, dropout), SIDE_RATIOS, 2)
        if q > quality:
            side_ratio, quality, scores, factor = SIDE_RATIOS[k], q, s, c
    return L2Choice(l2, dropout, side_ratio, factor, scores, quality)


def graded(X: sp.csr_matrix) -> bool:
    """Whether X's stored entries differ (ratings, weighted events), so exposure says something EASE does not."""
    return X.nnz > 0 and bool(np.any(X.data != X.data[0]))


def search_neighbours(val: Validation, make, k_max_scores) -> tuple[int, np.ndarray, float]:
    """Best neighbour count on NEIGHBOURS: (k, prepared scores, nDCG)."""
    best = (NEIGHBOURS[0], None, -1.0)
    for k in NEIGHBOURS:
        scores = val.prepare(k_max_scores(make(k)))
        quality = val.score(scores)
        if quality > best[2]:
            best = (k, scores, quality)
    return best


def search_rp3beta(val: Validation, params: dict) -> tuple[dict, np.ndarray, float]:
    """RP3beta's beta and neighbour count, every pair from one walk product: (params, prepared scores, nDCG)."""
    alpha = params["rp3beta_alpha"]
    # Validation scores need the rows of the items in validation histories only.
    walks = walk_weights(val.train, alpha=alpha, betas=BETAS, k=max(NEIGHBOURS), sources=np.unique(val.H.indices))
    best = ({}, None, -1.0)
    for beta, W in zip(BETAS, walks, strict=True):
        for k in NEIGHBOURS:
            model = RP3beta.from_weights(truncate_rows(W, k), val.train, alpha=alpha, beta=beta, k=k)
            scores = val.prepare(model.scores(val.H))
            quality = val.score(scores)
            if quality > best[2]:
                best = ({"rp3beta_beta": beta, "rp3beta_k": k}, scores, quality)
    return best


def search_ials(val: Validation, params: dict) -> tuple[dict, np.ndarray, float]:
    """iALS's l2 by hill-climbing from the middle of IALS_L2: (params, prepared scores, nDCG)."""

    def evaluate_with(l2: float):
        model = IALS(factors=params["ials_factors"], l2=l2, alpha=params["ials_alpha"]).fit(val.train)
        scores = val.prepare(model.scores(val.H))
        return val.score(scores), scores

    i, (quality, scores) = hill_climb(evaluate_with, IALS_L2, 2)
    return {"ials_l2": IALS_L2[i]}, scores, quality


def search_slim(val: Validation, params: dict) -> tuple[dict, np.ndarray, float]:
    """SLIM's l2 (l1 at SLIM_L1_SHARE of it) by hill-climbing on L2_FACTORS times the mean squared
    positive confidence: (params, prepared scores, nDCG)."""
    unit = mean_squared_positive(val.train)
    max_items = min(params["slim_max_items"], params["tuning_max_items"])

    def evaluate_with(factor: float):
        l2 = factor * unit
        model = SLIM(l1=SLIM_L1_SHARE * l2, l2=l2, max_items=max_items).fit(val.train)
        scores = val.prepare(model.scores(val.H))
        return val.score(scores), scores, l2

    i, (quality, scores, l2) = hill_climb(evaluate_with, L2_FACTORS, 2)
    return {"slim_l2": l2, "slim_l1": SLIM_L1_SHARE * l2}, scores, quality


def infae_fits(X: sp.csr_matrix, params: dict) -> bool:
    """Whether the infinite-width autoencoder is small enough for X: people with a positive entry,
    and those people times the items, within their budgets."""
    people = int(np.count_nonzero(np.diff(X.indptr)))
    return people <= params["infae_max_users"] and people * X.shape[1] <= params["infae_max_cells"]


def lowpass_applies(X: sp.csr_matrix, params: dict) -> bool:
    """Whether the low-pass filter joins the search on X: graded feedback within its budget.

    On ratings it gained on every dataset measured (the filter reads which items people liked at all,
    beside EASE's weighted view); on plain positives it gained on MovieLens 100k and lost on
    ml-latest-small and Last.fm plays (docs/engine.md)."""
    return graded(X) and X.nnz <= params["lowpass_max_interactions"]


def lowpass_trials(val: Validation):
    """(settings, prepared validation scores) of the low-pass filter at each LOWPASS_FACTORS, from one SVD."""
    V, degrees = item_directions(val.train, max(LOWPASS_FACTORS))
    for factors in sorted({min(f, V.shape[1]) for f in LOWPASS_FACTORS} - {0}):
        yield {"lowpass_factors": factors}, val.prepare(LowPass.from_directions(V, degrees, factors).scores(val.H))


def infae_trials(val: Validation):
    """(settings, prepared validation scores) of the autoencoder at each INFAE_L2, from one kernel."""
    train = positive_part(val.train)
    train = train[np.flatnonzero(np.diff(train.indptr))]
    if train.shape[0] < 2:
        return
    norms = row_norms(train)
    K, Y = arccos_kernel(train, train, norms, norms), train.toarray()
    for l2 in INFAE_L2:
        model = InfiniteAE.from_weights(train, kernel_weights(K, Y, l2), val.train.shape[1], l2)
        yield {"infae_l2": l2}, val.prepare(model.scores(val.H))


def add_on_denser_split(X: sp.csr_matrix, item_texts, params: dict, weights: dict) -> dict:
    """The low-pass filter, then the infinite-width autoencoder, each added to the blend so far (`weights`
    and what was added before it, fixed) with its setting and weight chosen on a denser validation split:
    dense_validation_fraction of each person's items held out rather than validation_fraction. Both
    reach past a person's nearest items (the filter to the catalog's broad tastes, the autoencoder to
    whole histories). On the sparser split the autoencoder showed almost none of the gain it brings to
    the final fit, and the filter, searched there inside the blend, did no better for 2.5 times the
    search (MovieLens 100k, docs/engine.md). The others are fitted here once, at their chosen settings.

    Returns the settings chosen for what joins, the blend's weights (with "lowpass" and "infae" when
    they gain there) and the figures on that split ("dense_validation_ndcg").
    """
    added = [
        (name, trials)
        for name, trials, wanted in (
            ("lowpass", lowpass_trials, params["search_lowpass"] and lowpass_applies(X, params)),
            ("infae", infae_trials, params["search_infae"] and infae_fits(X, params)),
        )
        if wanted
    ]
    if not added:
        return {"weights": weights}
    val = Validation(X, {**params, "validation_fraction": params["dense_validation_fraction"]})
    if val.H.shape[0] < 5:  # too few people with that much history to say anything
        return {"weights": weights}
    settings = {
        **params,
        "ease_max_items": min(params["ease_max_items"], params["tuning_max_items"]),
        "exposure_max_items": min(params["exposure_max_items"], params["tuning_max_items"]),
    }
    rest = np.zeros((val.H.shape[0], X.shape[1]), dtype=np.float32)
    for name, weight in weights.items():
        if weight > 0:
            model = build_component(name, settings).fit(val.train, item_texts=item_texts)
            rest += np.float32(weight) * finite(val.prepare(model.scores(val.H)))
    mask_seen(rest, val.H, None)
    current = val.score(rest)
    figures, chosen = {"without": round(current, 4)}, {}
    with ThreadPoolExecutor(engine_threads()) as pool:
        for name, trials in added:
            best = None
            for setting, scores in trials(val):
                extra = finite(scores)
                results = pool.map(
                    lambda w, rest=rest, extra=extra: val.score(rest + np.float32(w) * extra), ADDED_WEIGHTS
                )
                for weight, quality in zip(ADDED_WEIGHTS, results, strict=True):
                    if quality > (best["ndcg"] if best else current) + 1e-6:
                        best = {"setting": setting, "weight": weight, "ndcg": quality, "scores": scores, "extra": extra}
            if best is None:
                continue
            rest = rest + np.float32(best["weight"]) * best["extra"]
            current = best["ndcg"]
            chosen.update(best["setting"])
            weights = {**weights, name: best["weight"]}
            figures[f"{name} alone"] = round(val.score(best["scores"]), 4)
            figures[f"with {name}"] = round(current, 4)
    return {**chosen, "weights": weights, "dense_validation_ndcg": figures}


def finite(scores: np.ndarray) -> np.ndarray:
    """Prepared scores with the -inf of seen items as 0, to be summed."""
    return np.where(np.isfinite(scores), scores, np.float32(0))


def clear_gain(trial: np.ndarray, current: np.ndarray, min_se: float = 0.0) -> bool:
    """Whether per-user nDCGs `trial` beat `current` by more than `min_se` standard errors of the gain
    (min_se = 1: the one-standard-error rule), and in any case by more than 1e-6."""
    gain = trial - current
    if len(gain) < 2 or min_se <= 0:
        return float(np.mean(gain)) > 1e-6
    return float(np.mean(gain)) > max(1e-6, min_se * float(np.std(gain, ddof=1)) / np.sqrt(len(gain)))


def blend(
    val: Validation, candidates: dict[str, np.ndarray], quality: dict[str, float], min_se: float = 0.0
) -> tuple[dict, float]:
    """Coordinate ascent on the weights, starting from the best single component: (weights, nDCG).
    A change is kept when it gains more than `min_se` standard errors (see clear_gain)."""
    first = max(quality, key=quality.get)
    weights = {name: (1.0 if name == first else 0.0) for name in candidates}

    clean = {name: np.where(np.isfinite(c), c, np.float32(0)) for name, c in candidates.items()}
    unseen = np.isfinite(candidates[first])

    def total_of(w: dict, without: str | None = None) -> np.ndarray:
        total = np.zeros_like(clean[first])
        for name, value in w.items():
            if value and name != without:
                total += np.float32(value) * clean[name]
        return total

    def users_with(base: np.ndarray, name: str, step: float) -> np.ndarray:
        total = base + np.float32(step) * clean[name] if step else base.copy()
        total[~unseen] = -np.inf
        return val.user_scores(total)

    current = users_with(total_of(weights), first, 0.0)
    with ThreadPoolExecutor(engine_threads()) as pool:
        for _ in range(2):
            improved = False
            for name in candidates:
                if name == first:
                    continue
                # The trials of one component share the rest of the blend and are scored side by side.
                base = total_of(weights, without=name)
                results = pool.map(lambda step, name=name, base=base: users_with(base, name, step), WEIGHT_STEPS)
                for step, trial in zip(WEIGHT_STEPS, results, strict=True):
                    if clear_gain(trial, current, min_se):
                        current, weights, improved = trial, {**weights, name: step}, True
            if not improved:
                break
    best = float(np.mean(current))
    return weights, best


def tune(X: sp.csr_matrix, item_texts: list[str] | None, params: dict) -> dict:
    """Chosen parameters for Hybrid: weights, ease_l2 (and exposure_l2 on graded data), itemknn_k, userknn_k."""
    val = Validation(X, params)
    if val.H.shape[0] < 5:  # too little data to learn anything: trust the defaults
        return {"weights": {"ease": 1.0, "itemknn": 0.5, "popularity": 0.1, "content": 0.1}}
    shrinkage = params["shrinkage"]
    candidates, quality, chosen = {}, {}, {}

    found, scores, q = search_ease(val, item_texts, params)
    chosen.update(found)
    val.scale_negatives(chosen.get("negative_scale", params["negative_scale"]))  # every later search scores so
    if scores is not None:
        candidates["ease"], quality["ease"] = scores, q

    if params["search_exposure"] and graded(val.train):
        found, scores, q = search_exposure(val, params)
        chosen.update(found)
        if scores is not None:
            candidates["exposure"], quality["exposure"] = scores, q

    S = item_similarity(val.train, k=max(NEIGHBOURS), shrinkage=shrinkage)
    k, scores, q = search_neighbours(
        val, lambda k: ItemKNN.from_similarity(truncate_rows(S, k), val.train, k=k, shrinkage=shrinkage), _scores(val)
    )
    chosen["itemknn_k"], candidates["itemknn"], quality["itemknn"] = k, scores, q

    k, scores, q = search_neighbours(val, lambda k: UserKNN(k=k, shrinkage=shrinkage).fit(val.train), _scores(val))
    chosen["userknn_k"], candidates["userknn"], quality["userknn"] = k, scores, q

    if params["search_rp3beta"]:
        found, scores, q = search_rp3beta(val, params)
        chosen.update(found)
        candidates["rp3beta"], quality["rp3beta"] = scores, q

    if params["search_slim"]:
        found, scores, q = search_slim(val, params)
        chosen.update(found)
        candidates["slim"], quality["slim"] = scores, q

    if params["search_ials"] and X.nnz <= params["ials_max_interactions"]:
        found, scores, q = search_ials(val, params)
        chosen.update(found)
        candidates["ials"], quality["ials"] = scores, q

    for name, model in (("popularity", Popularity()), ("content", Content())):
        if name == "content" and item_texts is None:
            continue
        scores = val.prepare(model.fit(val.train, item_texts=item_texts).scores(val.H))
        candidates[name], quality[name] = scores, val.score(scores)
    weights, quality["blend"] = blend(val, candidates, quality, params["blend_min_se"])
    best_single = max((name for name in quality if name != "blend"), key=quality.get)
    if quality["blend"] < quality[best_single]:  # the ascent starts there, so this guards against a regression
        weights, quality["blend"] = {best_single: 1.0}, quality[best_single]
    weights = {name: w for name, w in weights.items() if w > 0}
    found = add_on_denser_split(X, item_texts, {**params, **chosen}, weights)  # when either applies
    weights = found.pop("weights")
    chosen.update(found)
    chosen["weights"] = weights
    chosen["validation_ndcg"] = {name: round(q, 4) for name, q in quality.items()}
    return chosen


def _scores(val: Validation):
    return lambda model: model.scores(val.H)
