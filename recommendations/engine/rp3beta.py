"""RP3beta: a three-step random walk on the user-item graph, with a popularity discount.

From an item i, the walk steps to a user who interacted with it, then to an item j of that user:
W = P_iu @ P_ui, where P_ui is each user's row of confidences normalised to sum 1 and P_iu
each item's column of interactions (one per user) normalised to sum 1; both raised to `alpha`.
Arriving at a popular item counts less: W[i, j] is divided by popularity_j ** beta (Paudel et
al., 2017; tuned as in Dacrema et al., 2019). Each item keeps its k strongest destinations, so W is
sparse. score(h, j) = sum_i h_i W[i, j]; negative history entries push their destinations down.

W is computed in blocks of source items (like item-kNN's similarity), several betas from one product.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

from recommendations.engine.base import SparseItemModel
from recommendations.engine.knn import BLOCK_CELLS, cooccurrence_input, engine_threads, keep_top_k


def transition_matrices(X, alpha: float = 1.0) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray]:
    """(P_iu (n_items, n_users) CSR, P_ui (n_users, n_items) CSR, popularity (n_items,) float64).

    Over the positive part of X (long histories sampled as for co-occurrences): P_ui from the
    confidences, P_iu from the interactions themselves; rows summing to 1, then entries ** alpha.
    """
    P = cooccurrence_input(X)
    user_sums = np.asarray(P.sum(axis=1)).ravel().astype(np.float64)
    Pui = sp.csr_matrix(P, dtype=np.float64, copy=True)
    Pui.data /= np.repeat(np.where(user_sums > 0, user_sums, 1.0), np.diff(Pui.indptr))
    Piu = P.T.tocsr().astype(np.float64)
    Piu.data[:] = 1.0
    popularity = np.diff(Piu.indptr).astype(np.float64)
    Piu.data /= np.repeat(np.where(popularity > 0, popularity, 1.0), np.diff(Piu.indptr))
    if alpha != 1.0:
        Pui.data **= alpha
        Piu.data **= alpha
    return Piu.astype(np.float32), Pui.astype(np.float32), popularity


def walk_weights(
    X, *, alpha: float, betas, k: int, threads: int | None = None, sources: np.ndarray | None = None
) -> list[sp.csr_matrix]:
    """One (n_items, n_items) top-k CSR float32 W per beta in `betas`, from one walk product.

    sources: sorted item indices whose rows are computed (the others stay empty), e.g. the items
    of the histories to be scored: their scores are exact and the work shrinks with the rows.
    """
    Piu, Pui, popularity = transition_matrices(X, alpha)
    n = Pui.shape[1]
    discounts = [np.where(popularity > 0, popularity, 1.0) ** -float(beta) for beta in betas]
    discounts = [d.astype(np.float32) for d in discounts]
    sources = np.arange(n) if sources is None else np.asarray(sources, dtype=np.int64)
    step = max(1, BLOCK_CELLS // max(n, 1))
    bounds = [(lo, min(lo + step, len(sources))) for lo in range(0, len(sources), step)]

    def one(block: tuple[int, int]) -> list[sp.csr_matrix]:
        rows = sources[block[0] : block[1]]
        walk = (Piu[rows] @ Pui).toarray().astype(np.float32, copy=False)
        walk[np.arange(len(rows)), rows] = 0.0
        return [keep_top_k(walk * d[None, :], k) for d in discounts]

    threads = min(threads or engine_threads(), max(len(bounds), 1))
    if threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            parts = list(pool.map(one, bounds))
    else:
        parts = [one(block) for block in bounds]
    if not parts:
        return [sp.csr_matrix((n, n), dtype=np.float32) for _ in betas]
    out = []
    for b in range(len(betas)):
        W = sp.vstack([p[b] for p in parts], format="csr", dtype=np.float32)
        if len(sources) != n:  # rows back in their items' places
            lengths = np.zeros(n, dtype=np.int64)
            lengths[sources] = np.diff(W.indptr)
            W = sp.csr_matrix((W.data, W.indices, np.r_[0, np.cumsum(lengths)]), shape=(n, n))
        out.append(W)
    return out


class RP3beta(SparseItemModel):
    """score(h, j) = sum over history items i of h_i * W[i, j], W the discounted top-k walk."""

    name = "rp3beta"

    def __init__(self, alpha: float = 1.0, beta: float = 0.5, k: int = 100):
        super().__init__(alpha=float(alpha), beta=float(beta), k=int(k))

    @classmethod
    def from_weights(cls, W, X, **params) -> RP3beta:
        """A fitted model from walk weights computed elsewhere (`walk_weights`) on the matrix X."""
        model = cls(**params)
        model.fit(X, walk=W)
        return model

    def _fit(self, X: sp.csr_matrix, *, item_texts, timestamps, walk=None) -> None:
        """`walk`: precomputed (n_items, n_items) weights for this model's parameters."""
        if walk is None:
            [walk] = walk_weights(X, alpha=self.params["alpha"], betas=[self.params["beta"]], k=self.params["k"])
        if walk.shape != (self.n_items, self.n_items):
            raise ValueError(f"walk weights must be {self.n_items} x {self.n_items}, got {walk.shape}")
        self._set_state({"W": walk})
