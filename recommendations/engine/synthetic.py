"""A deterministic synthetic interaction matrix with MovieLens-20M proportions.

138,493 users x 26,744 items, ~20M interactions. Item popularity is Zipf-like
(p_i ~ 1 / (i + 50), top item ~0.3% of all interactions, as in ML-20M); user
activity is log-normal with at least 20 items per user (median ~75, mean ~145);
half of each user's picks come from one of 20 taste clusters so the data has
structure for a model to learn.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

ML20M_SHAPE = (138_493, 26_744)
ML20M_INTERACTIONS = 20_000_263


def zipf_cdf(n: int, offset: float = 50.0) -> np.ndarray:
    weights = 1.0 / (np.arange(n) + offset)
    cdf = np.cumsum(weights)
    return cdf / cdf[-1]


def user_lengths(rng, n_users: int, n_items: int, total: int) -> np.ndarray:
    """(n_users,) int64 activity per user summing to ~total, each >= 20."""
    raw = 20 + rng.lognormal(np.log(55), 1.2, n_users)
    raw = 20 + (raw - 20) * (total - 20 * n_users) / (raw - 20).sum()
    return np.minimum(raw.astype(np.int64), n_items // 2)


def synthetic_matrix(
    n_users: int = ML20M_SHAPE[0],
    n_items: int = ML20M_SHAPE[1],
    n_interactions: int = ML20M_INTERACTIONS,
    *,
    n_clusters: int = 20,
    seed: int = 20,
) -> sp.csr_matrix:
    """(n_users, n_items) binary float32 CSR, deterministic for a given seed."""
    rng = np.random.default_rng(seed)
    lengths = user_lengths(rng, n_users, n_items, n_interactions)
    cluster_of_item = rng.integers(0, n_clusters, n_items)
    members = [np.flatnonzero(cluster_of_item == c) for c in range(n_clusters)]
    cdf_all = zipf_cdf(n_items)
    cdfs = [zipf_cdf(len(m)) for m in members]
    taste = rng.integers(0, n_clusters, n_users)

    # Oversample, then drop repeated (user, item) pairs and trim each user to its length.
    draws = (lengths * 1.3).astype(np.int64) + 5
    users = np.repeat(np.arange(n_users), draws)
    items = np.searchsorted(cdf_all, rng.random(len(users)))
    in_cluster = rng.random(len(users)) < 0.5
    for c in range(n_clusters):
        pick = in_cluster & (taste[users] == c)
        items[pick] = members[c][np.searchsorted(cdfs[c], rng.random(int(pick.sum())))]
    keys = np.unique(users.astype(np.int64) * n_items + items)
    users, items = keys // n_items, keys % n_items
    # Keep a random subset of each user's distinct items, up to its target length.
    order = np.lexsort((rng.random(len(users)), users))
    starts = np.searchsorted(users[order], np.arange(n_users))
    rank = np.arange(len(users)) - starts[users[order]]
    keep = order[rank < lengths[users[order]]]
    keep.sort()
    data = np.ones(len(keep), dtype=np.float32)
    return sp.csr_matrix((data, (users[keep], items[keep])), shape=(n_users, n_items))
