"""SLIM: a sparse linear item model, one non-negative elastic-net regression per item (Ning & Karypis, 2011).

For each item j, over the positive part X of the training matrix restricted to the `max_items` most
active items:

    W[:, j] = argmin over w >= 0 with w_j = 0 of  0.5 ||X_j - X w||^2 + l1 |w|_1 + 0.5 l2 ||w||^2

score(h, j) = sum over history items i of h_i W[i, j]; negative history entries push their
destinations down, as in EASE. Where EASE's dense closed form lets every item speak a little about
every other, the l1 term and the sign constraint keep only the few items that explain j, so W is
sparse. Each regression is scikit-learn's coordinate descent (`ElasticNet` with `positive=True`),
items in blocks side by side (it releases the GIL).
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet

from recommendations.engine.base import SparseItemModel, positive_part
from recommendations.engine.ease import active_items
from recommendations.engine.knn import engine_threads

MAX_ITER = 100  # coordinate-descent sweeps per item; the ranking settles long before the tolerance
TOL = 1e-4


def slim_weights(
    X: sp.csr_matrix, items: np.ndarray, *, l1: float, l2: float, threads: int | None = None
) -> sp.csr_matrix:
    """(n_items, n_items) CSR float32 W over the positive part of X, nonzero only among `items`; l2 > 0."""
    n_users, n_items = X.shape
    P = sp.csc_matrix(positive_part(X)[:, items], dtype=np.float64)
    m = len(items)
    # scikit-learn's objective divides the squared error by the number of samples.
    alpha, ratio = (l1 + l2) / max(n_users, 1), l1 / (l1 + l2)
    threads = max(1, min(threads or engine_threads(), m))
    bounds = np.linspace(0, m, threads + 1).astype(int)

    def block(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        A = P.copy()  # each block silences its own target column in its own copy
        model = ElasticNet(
            alpha=alpha, l1_ratio=ratio, positive=True, fit_intercept=False, copy_X=False,
            max_iter=MAX_ITER, tol=TOL, selection="cyclic",
        )  # fmt: skip
        rows, cols, vals = [], [], []
        for j in range(lo, hi):
            start, end = A.indptr[j], A.indptr[j + 1]
            if start == end:
                continue
            target = A[:, j].toarray().ravel()
            saved = A.data[start:end].copy()
            A.data[start:end] = 0.0
            model.fit(A, target)
            A.data[start:end] = saved
            found = np.flatnonzero(model.coef_ > 0)
            rows.append(found)
            cols.append(np.full(len(found), j))
            vals.append(model.coef_[found])
        empty = np.zeros(0, dtype=np.int64)
        return (np.concatenate(rows or [empty]), np.concatenate(cols or [empty]), np.concatenate(vals or [empty]))

    # The sweeps are capped on purpose: silence their warning once, here, since the filters are the process's
    # own and `catch_warnings` entered in several threads at once restores them in the wrong order.
    with warnings.catch_warnings(), ThreadPoolExecutor(threads) as pool:
        warnings.simplefilter("ignore", ConvergenceWarning)
        parts = list(pool.map(lambda b: block(*b), zip(bounds[:-1], bounds[1:], strict=True)))
    rows, cols, vals = (np.concatenate(p) for p in zip(*parts, strict=True))
    return sp.csr_matrix((vals.astype(np.float32), (items[rows], items[cols])), shape=(n_items, n_items))


class SLIM(SparseItemModel):
    """score(h, j) = sum over history items i of h_i * W[i, j], W from `slim_weights`."""

    name = "slim"

    def __init__(self, l1: float = 5.0, l2: float = 250.0, max_items: int = 3_000):
        if not (l2 > 0 and l1 >= 0):  # with no ridge term the regressions have no unique answer
            raise ValueError(f"SLIM needs l2 > 0 and l1 >= 0, got l2={l2} and l1={l1}")
        super().__init__(l1=float(l1), l2=float(l2), max_items=int(max_items))

    def _fit(self, X: sp.csr_matrix, *, item_texts, timestamps) -> None:
        items = active_items(X, self.params["max_items"], 2)
        self._set_state({"W": slim_weights(X, items, l1=self.params["l1"], l2=self.params["l2"])})
