"""Offline evaluation: per-user holdout split and top-k ranking metrics.

Protocol (as in Microsoft Recommenders' MovieLens table): per user a random
share of the interactions is held out; the model is fitted on the rest; top-k
among items the user has not seen in training. Two questions are asked of a
ratings matrix (`evaluate_question`):

- "loved" (relevance="liked"): training entries go through the production
  weighting (low ratings are negative evidence); a held-out item is relevant
  when it was rated >= 4;
- "watched" (relevance="all", binary=True): every training interaction is a
  plain positive; every held-out interaction is relevant.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from recommendations.engine.base import as_csr
from recommendations.engine.diversity import POOL_PER_SLOT, rerank_lists
from recommendations.engine.weighting import rating_weights

RELEVANCES = ("liked", "all")
LIKED_RATING = 4.0  # a held-out rating at or above this is "loved"
# The questions `evaluate` answers when none is named: (name, relevance, binary).
QUESTIONS = (("loved", "liked", False), ("watched", "all", True))


def holdout_mask(X: sp.csr_matrix, fraction: float = 0.25, seed: int = 42) -> np.ndarray:
    """(nnz,) bool over X's stored entries: round(fraction * n_u) random positives of each user.

    Negative entries are never held out: they stay in training as negative evidence.
    """
    X = as_csr(X)
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    positive = X.data > 0
    order = np.lexsort((rng.random(X.nnz), ~positive, rows))  # each user's positives first, shuffled
    n_pos = np.bincount(rows[positive], minlength=X.shape[0])
    position = np.arange(X.nnz) - X.indptr[rows[order]]
    mask = np.zeros(X.nnz, dtype=bool)
    mask[order] = position < np.floor(fraction * n_pos[rows[order]] + 0.5)
    return mask & positive


def split(X: sp.csr_matrix, mask: np.ndarray) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(train, test) with the same shape: entries where mask is False / True."""
    X = as_csr(X)
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))

    def part(keep):
        return sp.csr_matrix((X.data[keep], (rows[keep], X.indices[keep])), shape=X.shape, dtype=np.float32)

    return part(~mask), part(mask)


def ranking_metrics(recs: np.ndarray, test: sp.csr_matrix, k: int = 10) -> dict[str, float]:
    """Mean precision, recall, nDCG and MAP at k over users with at least one test item.

    recs: (n_users, >=k) int64 item indices (-1 = padding); test: (n_users, n_items), positives relevant.
    MAP@k divides by min(n_relevant, k), so a perfect list scores 1.
    """
    test = as_csr(test)
    recs = recs[:, :k]
    n_rel = np.diff(test.indptr)
    users = np.flatnonzero(n_rel > 0)
    hits = np.zeros((len(users), k), dtype=bool)
    for row, u in enumerate(users):
        relevant = test.indices[test.indptr[u] : test.indptr[u + 1]]
        hits[row] = np.isin(recs[u], relevant) & (recs[u] >= 0)
    n = n_rel[users].astype(np.float64)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discounts)[np.minimum(n, k).astype(int) - 1]
    precision_at = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
    return {
        f"precision@{k}": float(np.mean(hits.sum(axis=1) / k)) if len(users) else 0.0,
        f"recall@{k}": float(np.mean(hits.sum(axis=1) / n)) if len(users) else 0.0,
        f"ndcg@{k}": float(np.mean((hits * discounts).sum(axis=1) / ideal)) if len(users) else 0.0,
        f"map@{k}": float(np.mean((precision_at * hits).sum(axis=1) / np.minimum(n, k))) if len(users) else 0.0,
    }


def intra_list_diversity(recs: np.ndarray, features) -> float:
    """Mean over lists of the mean pairwise dissimilarity (1 - cosine of feature rows) of their items.

    recs: (n_lists, k) item indices, -1 = padding; features: (n_items, m), e.g. genres.
    Lists of fewer than two items are left out; an item without features is unlike every other.
    Vectorised: the sum of a list's pairwise cosines is |sum of its unit rows|^2 - its number of non-empty rows.
    """
    F = sp.csr_matrix(features, dtype=np.float64)
    norms = np.sqrt(np.asarray(F.multiply(F).sum(axis=1)).ravel())
    F.data /= np.repeat(np.where(norms > 0, norms, 1.0), np.diff(F.indptr))
    valid = recs >= 0
    sizes = valid.sum(axis=1)
    lists = np.flatnonzero(sizes >= 2)
    if len(lists) == 0:
        return 0.0
    rows = np.repeat(np.arange(len(lists)), sizes[lists])
    membership = sp.csr_matrix((np.ones(len(rows)), (rows, recs[lists][valid[lists]])), shape=(len(lists), F.shape[0]))
    sums = membership @ F
    nonempty = membership @ (norms > 0).astype(np.float64)
    pairwise = np.asarray(sums.multiply(sums).sum(axis=1)).ravel() - nonempty
    pairs = sizes[lists] * (sizes[lists] - 1.0)
    return float(np.mean(1.0 - pairwise / pairs))


def ndcg(recs: np.ndarray, test: sp.csr_matrix, k: int = 10) -> float:
    return ranking_metrics(recs, test, k)[f"ndcg@{k}"]


def user_ndcg(recs: np.ndarray, test: sp.csr_matrix, k: int = 10) -> np.ndarray:
    """(n,) float64 nDCG@k of each user with at least one test item, in user order (their mean is `ndcg`)."""
    test = as_csr(test)
    recs = recs[:, :k]
    n_rel = np.diff(test.indptr)
    users = np.flatnonzero(n_rel > 0)
    hits = np.zeros((len(users), k), dtype=bool)
    for row, u in enumerate(users):
        hits[row] = np.isin(recs[u], test.indices[test.indptr[u] : test.indptr[u + 1]]) & (recs[u] >= 0)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discounts)[np.minimum(n_rel[users], k).astype(int) - 1]
    return (hits * discounts).sum(axis=1) / ideal


def evaluate(
    factory: Callable,
    X: sp.csr_matrix,
    *,
    item_texts: list[str] | None = None,
    timestamps: np.ndarray | None = None,
    k: int = 10,
    fraction: float = 0.25,
    seed: int = 42,
) -> dict[str, float]:
    """Fit `factory()` on a per-user holdout split of X and measure it on the held-out part.

    Returns precision/recall/ndcg/map@k, coverage (share of the catalog that appears
    in some list) and fit_s (seconds spent fitting).
    """
    model, train, test, fit_s = fit_holdout(factory, X, item_texts, timestamps, fraction, seed)
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    recs, _ = model.recommend(train[users], k)
    return {**list_metrics(recs, test[users], k), "fit_s": round(fit_s, 3)}


def evaluate_diversity(
    factory: Callable,
    X: sp.csr_matrix,
    features,
    diversities: list[float],
    *,
    item_texts: list[str] | None = None,
    timestamps: np.ndarray | None = None,
    k: int = 10,
    fraction: float = 0.25,
    seed: int = 42,
) -> list[dict[str, float]]:
    """evaluate() once per diversity value, each list re-ranked (MMR over `features`) as served.

    One fit; every user's list is re-ranked from its k * POOL_PER_SLOT best items.
    Each result adds `diversity` and ild@k, the intra-list diversity over `features`.
    """
    model, train, test, fit_s = fit_holdout(factory, X, item_texts, timestamps, fraction, seed)
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    pool, scores = model.recommend(train[users], k * POOL_PER_SLOT)
    results = []
    for diversity in diversities:
        recs = rerank_lists(pool, scores, features, diversity=diversity, k=k)
        metrics = list_metrics(recs, test[users], k)
        metrics[f"ild@{k}"] = intra_list_diversity(recs, features)
        results.append({"diversity": diversity, **metrics, "fit_s": round(fit_s, 3)})
    return results


def fit_holdout(factory, X, item_texts, timestamps, fraction, seed):
    """(model fitted on the training part, train, test, seconds the fit took)."""
    X = as_csr(X)
    mask = holdout_mask(X, fraction, seed)
    train, test = split(X, mask)
    train_ts = None if timestamps is None else np.asarray(timestamps)[~mask]
    model, fit_s = timed_fit(factory, train, item_texts, train_ts)
    return model, train, test, fit_s


def timed_fit(factory, train, item_texts, timestamps):
    """(factory() fitted on train, seconds the fit took)."""
    started = time.perf_counter()
    model = factory().fit(train, item_texts=item_texts, timestamps=timestamps)
    return model, time.perf_counter() - started


def question_split(
    R: sp.csr_matrix, relevance: str = "all", binary: bool = True, *, fraction: float = 0.25, seed: int = 42
) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray]:
    """(train, test, mask) of a ratings matrix R for one question.

    R: (n_users, n_items) raw ratings (0..5 stars); every stored entry is an interaction.
    Per user, round(fraction * n_u) random interactions are held out (mask, over R's stored entries).
    train: ones when `binary`, else the production weighting of the ratings (low ratings negative).
    test: the held-out entries that are relevant: all of them, or those rated >= 4 ("liked").
    """
    if relevance not in RELEVANCES:
        raise ValueError(f"relevance must be one of {', '.join(RELEVANCES)}, got {relevance!r}")
    R = as_csr(R)
    ones = R.copy()
    ones.data[:] = 1.0
    mask = holdout_mask(ones, fraction, seed)
    values = R.copy()
    values.data = np.ones_like(R.data) if binary else rating_weights(R.data)
    train, _ = split(values, mask)
    relevant = mask if relevance == "all" else mask & (R.data >= LIKED_RATING)
    _, test = split(ones, relevant)
    return train, test, mask


def evaluate_question(
    factory: Callable,
    R: sp.csr_matrix,
    *,
    relevance: str = "all",
    binary: bool = True,
    item_texts: list[str] | None = None,
    timestamps: np.ndarray | None = None,
    features=None,
    diversities: list[float] | None = None,
    k: int = 10,
    fraction: float = 0.25,
    seed: int = 42,
) -> list[dict[str, float]]:
    """Fit `factory()` on one question's training part of the ratings R (see `question_split`) and
    measure its top-k lists against the relevant held-out items, over users that have any.

    Returns one metrics dict (precision/recall/ndcg/map@k, coverage, fit_s), or with `diversities`
    one per value, each list re-ranked (MMR over `features`) as served, adding `diversity` and ild@k.
    """
    train, test, mask = question_split(R, relevance, binary, fraction=fraction, seed=seed)
    train_ts = None if timestamps is None else np.asarray(timestamps)[~mask]
    model, fit_s = timed_fit(factory, train, item_texts, train_ts)
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    if diversities is None:
        recs, _ = model.recommend(train[users], k)
        return [{**list_metrics(recs, test[users], k), "fit_s": round(fit_s, 3)}]
    pool, scores = model.recommend(train[users], k * POOL_PER_SLOT)
    results = []
    for diversity in diversities:
        recs = rerank_lists(pool, scores, features, diversity=diversity, k=k)
        metrics = list_metrics(recs, test[users], k)
        metrics[f"ild@{k}"] = intra_list_diversity(recs, features)
        results.append({"diversity": diversity, **metrics, "fit_s": round(fit_s, 3)})
    return results


def list_metrics(recs: np.ndarray, test: sp.csr_matrix, k: int) -> dict[str, float]:
    """ranking_metrics() plus coverage: the share of the catalog that appears in some list."""
    metrics = ranking_metrics(recs, test, k)
    metrics["coverage"] = float(len(np.unique(recs[recs >= 0])) / max(test.shape[1], 1))
    return metrics


def holdout_metrics(factory: Callable, X, *, item_texts=None, timestamps=None, k: int = 10) -> dict[str, float]:
    """Metrics of a model trained the platform's way, for a model version's record."""
    return evaluate(factory, X, item_texts=item_texts, timestamps=timestamps, k=k)
