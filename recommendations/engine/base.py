"""The interface every algorithm shares, top-k selection and the `.npz` format.

Models work on integer indices and CSR matrices only. A model is fitted on a
(n_users, n_items) float32 confidence matrix, where negative entries are
negative evidence, and scores *history rows*: any user's current interactions,
whether or not that user was in the training data.
"""

from __future__ import annotations

import json
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

# Rows scored at once: bounds the dense (rows, n_items) score block to ~80 MB.
SCORE_BLOCK_CELLS = 20_000_000


class Reason(NamedTuple):
    """Why an item was recommended.

    kind: "item" or "content" (item = index of the history item responsible),
    "trending" or "popularity" (item = -1). share: fraction of the score, in (0, 1].
    """

    kind: str
    item: int
    share: float


def as_csr(X, n_items: int | None = None) -> sp.csr_matrix:
    """A canonical float32 CSR matrix (duplicates summed, indices sorted)."""
    X = sp.csr_matrix(X, dtype=np.float32)
    if n_items is not None and X.shape[1] != n_items:
        raise ValueError(f"history rows have {X.shape[1]} columns, the model has {n_items} items")
    X.sum_duplicates()
    return X


def row_scale(scores: np.ndarray) -> np.ndarray:
    """(n, 1) float32: largest |score| of each row (1 for all-zero rows), so blended models compare like with like."""
    scale = np.max(np.abs(scores), axis=1, keepdims=True) if scores.shape[1] else np.ones((len(scores), 1))
    return np.where(scale > 0, scale, 1).astype(np.float32)


def positive_part(X: sp.csr_matrix) -> sp.csr_matrix:
    """X with negative and zero entries dropped (same shape, float32)."""
    P = X.copy()
    P.data = np.maximum(P.data, 0, dtype=np.float32)
    P.eliminate_zeros()
    return P


def scale_negatives(X: sp.csr_matrix, factor: float) -> sp.csr_matrix:
    """X with its negative entries multiplied by `factor`; every stored entry stays stored (still seen)."""
    if factor == 1.0 or not np.any(X.data < 0):
        return X
    out = sp.csr_matrix(X, dtype=np.float32, copy=True)
    out.data = np.where(out.data < 0, np.float32(factor) * out.data, out.data).astype(np.float32)
    return out


def canonical_with_timestamps(X, timestamps) -> tuple[sp.csr_matrix, np.ndarray]:
    """Canonical CSR X and its (nnz,) float64 timestamps; duplicates keep the latest time."""
    coo = sp.csr_matrix(X).tocoo()
    ts = np.asarray(timestamps, dtype=np.float64).reshape(-1)
    if len(ts) != coo.nnz:
        raise ValueError(f"timestamps has {len(ts)} values for {coo.nnz} stored entries of X")
    order = np.lexsort((coo.col, coo.row))
    rows, cols, data, ts = coo.row[order], coo.col[order], coo.data[order], ts[order]
    first = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])] if len(rows) else np.zeros(0, bool)
    group = np.cumsum(first) - 1
    latest = np.full(int(first.sum()), -np.inf)
    np.maximum.at(latest, group, ts)
    summed = np.bincount(group, weights=data, minlength=len(latest)).astype(np.float32)
    return sp.csr_matrix((summed, (rows[first], cols[first])), shape=coo.shape), latest


def popularity_prior(X: sp.csr_matrix) -> np.ndarray:
    """(n_items,) float64 in [0, 1): popularity rank, used only to break score ties."""
    counts = np.bincount(X.indices[X.data > 0], minlength=X.shape[1])
    ranks = np.empty(X.shape[1], dtype=np.float64)
    ranks[np.argsort(counts, kind="stable")] = np.arange(X.shape[1])
    return ranks / max(X.shape[1], 1)


def top_k(scores: np.ndarray, k: int, prior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best k columns of each row of `scores` (n, m) float32; -inf marks a non-candidate.

    Equal scores are ordered by `prior` (popularity), so a user with no evidence
    still gets popular items in a stable order. Rows with fewer than k
    candidates are padded with item -1 and score -inf.
    Returns (items int64 (n, k), scores float32 (n, k)).
    """
    n, m = scores.shape
    items = np.full((n, k), -1, dtype=np.int64)
    values = np.full((n, k), -np.inf, dtype=np.float32)
    kk = min(k, m)
    if kk == 0 or n == 0:
        return items, values
    finite = np.isfinite(scores)
    # The tie-breaker is far below the float32 resolution of the row's scores.
    scale = np.max(np.abs(np.where(finite, scores, 0)), axis=1, keepdims=True).astype(np.float64)
    key = scores.astype(np.float64) + prior[None, :] * np.maximum(scale * 1e-9, 1e-200)
    part = np.argpartition(-key, kk - 1, axis=1)[:, :kk] if kk < m else np.tile(np.arange(m), (n, 1))
    order = np.argsort(-np.take_along_axis(key, part, axis=1), axis=1, kind="stable")
    best = np.take_along_axis(part, order, axis=1)
    best_scores = np.take_along_axis(scores, best, axis=1)
    ok = np.isfinite(best_scores)
    items[:, :kk] = np.where(ok, best, -1)
    values[:, :kk] = np.where(ok, best_scores, -np.inf)
    return items, values


def mask_seen(scores: np.ndarray, H: sp.csr_matrix, exclude: np.ndarray | None) -> None:
    """Set -inf (in place) on every stored entry of H, positive or negative, and on excluded items."""
    rows = np.repeat(np.arange(H.shape[0]), np.diff(H.indptr))
    scores[rows, H.indices] = -np.inf
    if exclude is not None:
        scores[:, np.asarray(exclude, dtype=bool)] = -np.inf


class Recommender:
    """Base class: subclasses implement `_fit`, `_scores`, `_state`/`_set_state`,
    and, for explanations, `_item_weights` (history items x candidate items)."""

    name = "base"
    reason_kind = "item"  # kind of reason `_item_weights` stands for

    def __init__(self, **params):
        self.params = params
        self.n_items = 0
        self.prior = np.zeros(0)

    # -- fitting -------------------------------------------------------------
    def fit(self, X, *, item_texts: list[str] | None = None, timestamps=None, **precomputed) -> Recommender:
        """X: (n_users, n_items) confidence matrix, may hold negative entries.
        item_texts: one document per item (content model); timestamps: unix seconds
        per stored entry of X in CSR order (trending). Other models ignore both.
        precomputed: work done elsewhere that a model's `_fit` accepts instead of
        doing it (item-kNN's `similarity`, EASE's `cooccurrences`); others refuse it."""
        if timestamps is not None:
            X, timestamps = canonical_with_timestamps(X, timestamps)
        X = as_csr(X)
        if item_texts is not None and len(item_texts) != X.shape[1]:
            raise ValueError(f"item_texts has {len(item_texts)} documents for {X.shape[1]} items")
        self.n_items = X.shape[1]
        self.prior = popularity_prior(X)
        self._fit(X, item_texts=item_texts, timestamps=timestamps, **precomputed)
        return self

    def _fit(self, X: sp.csr_matrix, *, item_texts, timestamps) -> None:
        raise NotImplementedError

    # -- scoring -------------------------------------------------------------
    def scores(self, H) -> np.ndarray:
        """Raw scores (n, n_items) float32 for history rows H (no masking)."""
        return self._scores(as_csr(H, self.n_items))

    def _scores(self, H: sp.csr_matrix) -> np.ndarray:
        raise NotImplementedError

    def recommend(self, H, k: int, *, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k unseen items per history row: (items int64 (n, k), scores float32 (n, k))."""
        H = as_csr(H, self.n_items)
        step = max(1, SCORE_BLOCK_CELLS // max(self.n_items, 1))
        items, values = [], []
        for start in range(0, H.shape[0], step):
            block = H[start : start + step]
            scores = self._scores(block)
            mask_seen(scores, block, exclude)
            got = top_k(scores, k, self.prior)
            items.append(got[0])
            values.append(got[1])
        if not items:
            return np.zeros((0, k), dtype=np.int64), np.zeros((0, k), dtype=np.float32)
        return np.vstack(items), np.vstack(values)

    def recommend_explained(
        self, h, k: int, *, exclude: np.ndarray | None = None, top: int = 3
    ) -> tuple[np.ndarray, np.ndarray, list[list[Reason]]]:
        """recommend() then explain() for one history row: (items (k,), scores (k,), reasons per item).

        Models whose explanations reuse the scoring work (the hybrid) override it.
        """
        items, scores = self.recommend(h, k, exclude=exclude)
        return items[0], scores[0], self.explain(h, items[0], top)

    # -- explanations --------------------------------------------------------
    def explain(self, h, items, top: int = 3) -> list[list[Reason]]:
        """For each item, the positive history items that contributed most, with their share."""
        h = as_csr(h, self.n_items)
        items = np.asarray(items, dtype=np.int64).reshape(-1)
        hist, contrib = self.contributions(h, np.maximum(items, 0))
        return [self._reasons(hist, contrib[:, n], top) if j >= 0 else [] for n, j in enumerate(items)]

    def contributions(self, h: sp.csr_matrix, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What each positive history item of one row h (1, n_items) adds to each item's score.

        Returns (hist int (m,), contrib float64 (m, len(items))).
        """
        positive = h.data > 0
        hist, weights = h.indices[positive], h.data[positive].astype(np.float64)
        if len(hist) == 0 or len(items) == 0:
            return hist, np.zeros((len(hist), len(items)))
        return hist, weights[:, None] * self._item_weights(hist, items)

    def _item_weights(self, hist: np.ndarray, items: np.ndarray) -> np.ndarray:
        """(len(hist), len(items)) float64: how much each history item adds to each item's score."""
        return np.zeros((len(hist), len(items)))

    def _reasons(self, hist: np.ndarray, contrib: np.ndarray, top: int) -> list[Reason]:
        return reasons_from(hist, contrib, self.reason_kind, top) or [Reason("popularity", -1, 1.0)]

    # -- similar items -------------------------------------------------------
    def similar_items(self, item: int, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """k items most similar to `item` (itself excluded): (int64 (k,), float32 (k,))."""
        row = self.similar_row(item).astype(np.float32).reshape(1, -1)
        row[0, item] = -np.inf
        items, values = top_k(row, k, self.prior)
        return items[0], values[0]

    def similar_row(self, item: int) -> np.ndarray:
        """(n_items,) similarity of every item to `item` (itself included)."""
        if not 0 <= item < self.n_items:
            raise IndexError(f"item {item} out of range 0..{self.n_items - 1}")
        return self._similar_row(int(item))

    def _similar_row(self, item: int) -> np.ndarray:
        """(n_items,) similarity of every item to `item`; default: score of a one-item history."""
        h = sp.csr_matrix(([1.0], ([0], [item])), shape=(1, self.n_items), dtype=np.float32)
        return self._scores(h)[0]

    # -- persistence ---------------------------------------------------------
    def _state(self) -> dict:
        """Fitted arrays (numpy or scipy sparse) by name."""
        return {}

    def _set_state(self, state: dict) -> None:
        pass

    def save(self, path_or_fileobj, extra: dict[str, np.ndarray] | None = None) -> None:
        """Write one .npz: name, params (JSON), fitted arrays, and `extra` arrays, no pickle."""
        arrays = flatten_state(self.full_state())
        for key, value in (extra or {}).items():
            arrays[f"extra:{key}"] = np.asarray(value)
        header = json.dumps({"name": self.name, "params": self.params})
        np.savez(path_or_fileobj, __header__=np.array([header]), **arrays)

    # -- memory --------------------------------------------------------------
    def nbytes(self) -> int:
        """Bytes the fitted model holds in numpy arrays and scipy matrices, its components' included.

        An estimate for caches that bound memory: the arrays are nearly all of a fitted model,
        small Python objects (parameters, names) are not counted.
        """
        return arrays_nbytes(self)

    def full_state(self) -> dict:
        return {"n_items": np.array([self.n_items]), "prior": self.prior, **self._state()}

    def set_full_state(self, state: dict) -> Recommender:
        self.n_items = int(state.pop("n_items")[0])
        self.prior = state.pop("prior")
        self._set_state(state)
        return self


class SparseItemModel(Recommender):
    """A model whose fit is one sparse item x item matrix W: score(h, j) = sum over history items i of
    h_i * W[i, j], so negative history entries push their destinations down and a score splits
    exactly by history item. Subclasses compute W in `_fit` and hand it to `_set_state({"W": W})`."""

    def __init__(self, **params):
        super().__init__(**params)
        self.W = sp.csr_matrix((0, 0), dtype=np.float32)

    def _scores(self, H: sp.csr_matrix) -> np.ndarray:
        return (H @ self.W).toarray().astype(np.float32, copy=False)

    def _item_weights(self, hist: np.ndarray, items: np.ndarray) -> np.ndarray:
        return self.W[hist][:, items].toarray().astype(np.float64)

    def _similar_row(self, item: int) -> np.ndarray:
        return self.W[item].toarray()[0]

    def _state(self) -> dict:
        return {"W": self.W}

    def _set_state(self, state: dict) -> None:
        self.W = sp.csr_matrix(state["W"], dtype=np.float32)
        self.W.sort_indices()


def arrays_nbytes(obj, seen: set[int] | None = None) -> int:
    """Bytes of the numpy arrays and scipy sparse matrices reachable from `obj` (a model's attributes,
    dicts, lists, tuples), each buffer counted once: a view and the array it looks into share theirs."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        base = obj
        while isinstance(base.base, np.ndarray):
            base = base.base
        if base is not obj:
            return arrays_nbytes(base, seen)
        return obj.nbytes
    if sp.issparse(obj):
        parts = [getattr(obj, name, None) for name in ("data", "indices", "indptr", "row", "col", "offsets")]
        return sum(arrays_nbytes(part, seen) for part in parts if isinstance(part, np.ndarray))
    if isinstance(obj, dict):
        return sum(arrays_nbytes(value, seen) for value in obj.values())
    if isinstance(obj, list | tuple | set | frozenset):
        return sum(arrays_nbytes(value, seen) for value in obj)
    if isinstance(obj, Recommender):
        return arrays_nbytes(vars(obj), seen)
    return 0


def reasons_from(hist: np.ndarray, contrib: np.ndarray, kind: str, top: int) -> list[Reason]:
    """Reasons for one item from per-history-item contributions (positive ones only)."""
    total = contrib[contrib > 0].sum()
    if total <= 0:
        return []
    order = np.argsort(-contrib, kind="stable")[:top]
    return [Reason(kind, int(hist[i]), float(contrib[i] / total)) for i in order if contrib[i] > 0]


def flatten_state(state: dict, prefix: str = "") -> dict[str, np.ndarray]:
    """Sparse matrices become four plain arrays; nested dicts get dotted prefixes."""
    out: dict[str, np.ndarray] = {}
    for key, value in state.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten_state(value, f"{name}."))
        elif sp.issparse(value):
            value = sp.csr_matrix(value)
            out[f"{name}:csr_data"] = value.data
            out[f"{name}:csr_indices"] = value.indices
            out[f"{name}:csr_indptr"] = value.indptr
            out[f"{name}:csr_shape"] = np.array(value.shape, dtype=np.int64)
        else:
            out[name] = np.asarray(value)
    return out


def unflatten_state(arrays: dict[str, np.ndarray]) -> dict:
    """Inverse of `flatten_state`."""
    out: dict = {}
    for key in sorted(arrays):
        if key.endswith(":csr_data"):
            name = key[: -len(":csr_data")]
            parts = [arrays[f"{name}:csr_{p}"] for p in ("data", "indices", "indptr", "shape")]
            value = sp.csr_matrix(tuple(parts[:3]), shape=tuple(parts[3]))
        elif ":csr_" in key:
            continue
        else:
            name, value = key, arrays[key]
        node = out
        *path, leaf = name.split(".")
        for part in path:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out
