"""Item-kNN: cosine similarity with shrinkage, top-K neighbours per item, sparse.

The similarity matrix is computed in independent blocks of item rows, so the
work can be spread over processes or machines and merged; one process or many
give the same matrix, row for row.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

from recommendations.engine.base import Recommender, positive_part

# Rows per block: bounds the dense (block, n_items) similarity buffer to ~100 MB.
BLOCK_CELLS = 25_000_000
# Co-occurrence work is sum over users of n_u^2: heavy users dominate it. Above this
# budget (~10 s), each very long history contributes a random sample of its items,
# as Mahout's maxPrefsPerUser does. MovieLens-small is far below it.
MAX_COOCCURRENCES = 2_000_000_000


def engine_threads() -> int:
    """Threads for block work: ENCORE_ENGINE_THREADS, else OMP_NUM_THREADS, else the usable cores."""
    value = os.environ.get("ENCORE_ENGINE_THREADS") or os.environ.get("OMP_NUM_THREADS")
    try:
        return max(1, int(value)) if value else max(1, len(os.sched_getaffinity(0)))
    except ValueError:
        return 1


def cooccurrence_sample(X, budget: float = MAX_COOCCURRENCES, seed: int = 0) -> sp.csr_matrix:
    """X (CSR float32) with each history longer than L cut to L random entries, L the largest
    length keeping sum(min(n_u, L)^2) <= budget. X itself when it is already within budget."""
    X = sp.csr_matrix(X, dtype=np.float32)
    lengths = np.diff(X.indptr).astype(np.float64)
    if np.sum(lengths**2) <= budget:
        return X
    lo, hi = 1, int(lengths.max())
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if np.sum(np.minimum(lengths, mid) ** 2) <= budget else (lo, mid - 1)
    rng = np.random.default_rng(seed)
    keep = np.ones(X.nnz, dtype=bool)
    for row in np.flatnonzero(lengths > lo):  # only the long histories are cut
        start, stop = X.indptr[row], X.indptr[row + 1]
        keep[start + rng.permutation(stop - start)[lo:]] = False
    indptr = np.r_[0, np.cumsum(np.minimum(lengths, lo))].astype(np.int64)
    return sp.csr_matrix((X.data[keep], X.indices[keep], indptr), shape=X.shape)


def cooccurrence_input(X, budget: float = MAX_COOCCURRENCES) -> sp.csr_matrix:
    """What co-occurrences are counted on: the positive part of X, long histories sampled to the budget."""
    return cooccurrence_sample(positive_part(sp.csr_matrix(X, dtype=np.float32)), budget)


def item_norms(X) -> np.ndarray:
    """(n_items,) float64 L2 norm of each item column of the positive part of X."""
    X = sp.csr_matrix(X)
    values = np.maximum(X.data.astype(np.float64), 0.0)
    return np.sqrt(np.bincount(X.indices, weights=values**2, minlength=X.shape[1]))


def cooccurrence_block(Xt: sp.csr_matrix, X: sp.csr_matrix, start: int, stop: int) -> np.ndarray:
    """Dense (stop-start, n_items) float32 block of X.T @ X; Xt is X.T as CSR."""
    return (Xt[start:stop] @ X).toarray().astype(np.float32, copy=False)


def keep_top_k(dense: np.ndarray, k: int) -> sp.csr_matrix:
    """Keep the k largest positive values of each row of `dense` (b, m) as CSR float32.

    Ties at the k-th value go to the lowest column indices, so the result is
    fully determined (and a top-k of a top-K matrix equals the top-k directly).
    """
    b, m = dense.shape
    kk = min(k, m)
    if kk <= 0 or b == 0:
        return sp.csr_matrix((b, m), dtype=np.float32)
    if kk < m:
        # Only positive values can be kept; the others become distinct negatives, because
        # selection slows down badly on the long runs of equal zeros of a sparse row.
        work = np.where(dense > 0, dense, -np.arange(1, m + 1, dtype=dense.dtype)[None, :])
        work.partition(m - kk, axis=1)
        kth = work[:, m - kk : m - kk + 1].copy()
        del work
    else:
        kth = np.full((b, 1), -np.inf, dtype=dense.dtype)
    above_rows, above_cols = np.nonzero(dense > np.maximum(kth, 0))
    tie_rows, tie_cols = np.nonzero((dense == kth) & (kth > 0))
    if len(tie_rows):
        need = kk - np.bincount(above_rows, minlength=b)
        rank = np.arange(len(tie_rows)) - np.searchsorted(tie_rows, np.arange(b))[tie_rows]
        pick = rank < need[tie_rows]
        tie_rows, tie_cols = tie_rows[pick], tie_cols[pick]
    rows, cols = np.concatenate([above_rows, tie_rows]), np.concatenate([above_cols, tie_cols])
    out = sp.csr_matrix((dense[rows, cols], (rows, cols)), shape=(b, m), dtype=np.float32)
    out.sort_indices()
    return out


def item_similarity_block(X, start: int, stop: int, *, k: int, shrinkage: float) -> sp.csr_matrix:
    """Top-k cosine-with-shrinkage neighbours of items [start, stop), as (stop-start, n_items) CSR float32.

    X: (n_users, n_items) CSR or CSC; only positive entries count.
    sim(i, j) = <x_i, x_j> / (|x_i| |x_j| + shrinkage); an item is never its own neighbour.
    """
    P = positive_part(sp.csr_matrix(X, dtype=np.float32))
    return similarity_rows(P, P.T.tocsr(), item_norms(P), start, stop, k=k, shrinkage=shrinkage)


def similarity_rows(
    P, Pt, norms, start: int, stop: int, *, k: int, shrinkage: float, threads: int | None = None, gram=None
) -> sp.csr_matrix:
    """`item_similarity_block` on prepared inputs: P positive CSR, Pt = P.T CSR, norms (n_items,).

    Sub-blocks run on `threads` threads (engine_threads() by default); the result
    does not depend on it. gram: optional (items, G) with items sorted int64 and
    G a (len(items), len(items)) float32 array; rows of G for items in
    [start, stop) are filled with the raw co-occurrences P[:, i].P[:, items],
    so a model that needs them (EASE) does not count them a second time.
    """
    norms = np.asarray(norms, dtype=np.float32)
    step = max(1, BLOCK_CELLS // max(P.shape[1], 1))
    bounds = [(lo, min(lo + step, stop)) for lo in range(start, stop, step)]

    def one(block: tuple[int, int]) -> sp.csr_matrix:
        lo, hi = block
        dense = cooccurrence_block(Pt, P, lo, hi)
        if gram is not None:
            items, G = gram
            a, b = np.searchsorted(items, [lo, hi])
            if b > a:
                G[a:b] = dense[items[a:b] - lo][:, items]
        denom = norms[lo:hi, None] * norms[None, :] + np.float32(shrinkage)
        np.divide(dense, denom, out=dense, where=denom > 0)
        dense[np.arange(hi - lo), np.arange(lo, hi)] = 0.0
        return keep_top_k(dense, k)

    threads = min(threads or engine_threads(), len(bounds))
    if threads > 1:
        with ThreadPoolExecutor(threads) as pool:  # scipy and numpy release the GIL in the heavy parts
            out = list(pool.map(one, bounds))
    else:
        out = [one(block) for block in bounds]
    return merge_similarity_blocks(out) if out else sp.csr_matrix((0, P.shape[1]), dtype=np.float32)


def merge_similarity_blocks(blocks: list[sp.csr_matrix]) -> sp.csr_matrix:
    """Stack consecutive row blocks (in item order) into one (n_items, n_items) CSR float32."""
    merged = sp.vstack(blocks, format="csr", dtype=np.float32)
    merged.sort_indices()
    return merged


def item_similarity(
    X, *, k: int, shrinkage: float, budget: float = MAX_COOCCURRENCES, gram_items: np.ndarray | None = None
):
    """Whole (n_items, n_items) top-k similarity matrix, computed block by block.

    To shard it instead: S = merge_similarity_blocks([item_similarity_block(Xs, a, b, ...) ...])
    with Xs = cooccurrence_input(X) computed once and shared with every block.
    With gram_items (sorted item indices), returns (S, G): G the dense gram of those
    items on the same input, as `ease.gram` computes it, for the price of a copy.
    """
    P = cooccurrence_input(X, budget)
    n = P.shape[1]
    gram = None
    if gram_items is not None:
        gram_items = np.asarray(gram_items, dtype=np.int64)
        gram = (gram_items, np.zeros((len(gram_items), len(gram_items)), dtype=np.float32))
    S = similarity_rows(P, P.T.tocsr(), item_norms(P), 0, n, k=k, shrinkage=shrinkage, gram=gram)
    return S if gram is None else (S, gram[1])


def truncate_rows(S: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the k largest entries of each row of S (ties to the lowest columns, as keep_top_k);
    exact on a top-K matrix for any k <= K."""
    S = sp.csr_matrix(S, dtype=np.float32)
    S.sort_indices()
    lengths = np.diff(S.indptr)
    if lengths.max(initial=0) <= k:
        return S
    # Rows padded to the longest one; a stable sort of each row by value keeps ties in column order.
    rows = np.repeat(np.arange(S.shape[0]), lengths)
    position = np.arange(S.nnz) - S.indptr[rows]
    padded = np.full((S.shape[0], lengths.max()), np.inf, dtype=np.float32)
    padded[rows, position] = -S.data
    rank = np.empty_like(padded, dtype=np.int64)
    np.put_along_axis(rank, np.argsort(padded, axis=1, kind="stable"), np.arange(padded.shape[1])[None, :], axis=1)
    keep = rank[rows, position] < k
    indptr = np.r_[0, np.cumsum(np.minimum(lengths, k))].astype(np.int64)
    return sp.csr_matrix((S.data[keep], S.indices[keep], indptr), shape=S.shape)


class ItemKNN(Recommender):
    """score(u, j) = sum over history items i among j's top-k neighbours of h_ui * sim(i, j).

    Each candidate is judged by its own neighbourhood (rows of the similarity
    matrix), which ranks better than spreading each history item to its
    neighbours. Negative history entries push their neighbours down.
    """

    name = "itemknn"

    def __init__(self, k: int = 100, shrinkage: float = 10.0):
        super().__init__(k=int(k), shrinkage=float(shrinkage))
        self.similarity = sp.csr_matrix((0, 0), dtype=np.float32)  # row j: j's neighbours
        self.weights = self.similarity  # its transpose: row i, what history item i adds to each item

    @classmethod
    def from_similarity(cls, S, X, **params) -> ItemKNN:
        """A fitted model from a precomputed (merged) similarity matrix and the matrix X it came from."""
        model = cls(**params)
        model.fit(X, similarity=S)
        return model

    def _fit(self, X, *, item_texts, timestamps, similarity=None) -> None:
        """`similarity` (n_items, n_items) skips computing it (see from_similarity)."""
        k, shrinkage = self.params["k"], self.params["shrinkage"]
        if similarity is not None:
            S = truncate_rows(similarity, k)
            if S.shape != (self.n_items, self.n_items):
                raise ValueError(f"similarity must be {self.n_items} x {self.n_items}, got {S.shape}")
        else:
            S = item_similarity(X, k=k, shrinkage=shrinkage)
        self._set_state({"similarity": S})

    def _scores(self, H: sp.csr_matrix) -> np.ndarray:
        return (H @ self.weights).toarray().astype(np.float32, copy=False)

    def _item_weights(self, hist: np.ndarray, items: np.ndarray) -> np.ndarray:
        return self.weights[hist][:, items].toarray().astype(np.float64)

    def _similar_row(self, item: int) -> np.ndarray:
        return self.similarity[item].toarray()[0]

    def _state(self) -> dict:
        return {"similarity": self.similarity}

    def _set_state(self, state: dict) -> None:
        self.similarity = sp.csr_matrix(state["similarity"], dtype=np.float32)
        self.weights = self.similarity.T.tocsr()
        self.weights.sort_indices()
