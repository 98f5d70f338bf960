"""Low-pass graph filter: a person's history smoothed onto the strongest directions of the item graph.

After GF-CF (Shen et al., 2021), the "ideal low-pass filter" part. With P the positive interactions
as 0/1, D_u and D_i the people's and items' degrees, the normalised matrix

    R = D_u^-1/2 P D_i^-1/2

has right singular vectors V; its top `factors` of them span the smoothest signals on the item-item
graph R^T R. A history row h is scored by

    s = h D_i^-1/2 V_k V_k^T D_i^1/2,

i.e. h is projected onto those directions (after the degree normalisation) and mapped back. It is a
spectral model: where EASE and item-kNN weigh pairs of items, it keeps only the few global tastes
that explain the graph best, so it ranks by broad affinity rather than close neighbours.

The score is linear in h, so a score splits exactly into what each history item adds:
h_i (D_i^-1/2 V_k)_i . (D_i^1/2 V_k)_j. Negative history entries push the same directions down.
The singular vectors come from ARPACK (implicitly restarted Lanczos, converged to machine precision)
started from a fixed vector, so a fit is reproducible; should ARPACK not converge, from a randomised
SVD with a fixed seed.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import ArpackNoConvergence, svds
from sklearn.utils.extmath import randomized_svd

from recommendations.engine.base import Recommender, positive_part


def item_directions(X: sp.csr_matrix, factors: int) -> tuple[np.ndarray, np.ndarray]:
    """(V (n_items, f) float64, item degrees (n_items,) float64): the top f right singular vectors of
    the degree-normalised positive interactions, strongest first. f is `factors`, at most a quarter of
    the matrix's smaller side: with every direction kept the filter would return h itself."""
    P = positive_part(X)
    P.data[:] = 1.0
    people = np.asarray(P.sum(axis=1), dtype=np.float64).ravel()
    degrees = np.asarray(P.sum(axis=0), dtype=np.float64).ravel()
    f = min(int(factors), min(P.shape) // 4)  # keep a low band: all directions would give h back
    if f < 1 or P.nnz == 0:
        return np.zeros((P.shape[1], 0)), degrees
    R = (
        sp.diags(1.0 / np.sqrt(np.maximum(people, 1.0)))
        @ P.astype(np.float64)
        @ sp.diags(1.0 / np.sqrt(np.maximum(degrees, 1.0)))
    )
    R = sp.csr_matrix(R)
    start = np.full(min(R.shape), 1.0 / np.sqrt(min(R.shape)))  # ARPACK's starting vector, fixed
    try:
        _, values, Vt = svds(R, k=f, v0=start, solver="arpack")
    except ArpackNoConvergence:  # rare: a randomised SVD, with enough power steps to match
        _, values, Vt = randomized_svd(R, f, n_oversamples=max(20, f), n_iter=20, random_state=0)
    return Vt[np.argsort(-values, kind="stable")].T, degrees


class LowPass(Recommender):
    name = "lowpass"

    def __init__(self, factors: int = 64):
        super().__init__(factors=int(factors))
        self.into = np.zeros((0, 0), dtype=np.float32)  # (n_items, f) D_i^-1/2 V
        self.out = np.zeros((0, 0), dtype=np.float32)  # (n_items, f) D_i^1/2 V

    def _fit(self, X: sp.csr_matrix, *, item_texts, timestamps) -> None:
        V, degrees = item_directions(X, self.params["factors"])
        self._set_state(filters(V, degrees))

    @classmethod
    def from_directions(cls, V: np.ndarray, degrees: np.ndarray, factors: int) -> LowPass:
        """A fitted model keeping the first `factors` of the directions V (the search truncates one SVD)."""
        model = cls(factors=factors)
        model.n_items = V.shape[0]
        model._set_state(filters(V[:, :factors], degrees))
        return model

    def _scores(self, H: sp.csr_matrix) -> np.ndarray:
        return np.asarray((H @ self.into) @ self.out.T, dtype=np.float32)

    def _item_weights(self, hist: np.ndarray, items: np.ndarray) -> np.ndarray:
        return self.into[hist].astype(np.float64) @ self.out[items].astype(np.float64).T

    def _state(self) -> dict:
        return {"into": self.into, "out": self.out}

    def _set_state(self, state: dict) -> None:
        self.into = np.asarray(state["into"], dtype=np.float32)
        self.out = np.asarray(state["out"], dtype=np.float32)


def filters(V: np.ndarray, degrees: np.ndarray) -> dict:
    """The two halves of the filter, D_i^-1/2 V and D_i^1/2 V, as float32 (items never seen are 0)."""
    root = np.sqrt(degrees)[:, None]
    inverse = np.divide(1.0, root, out=np.zeros_like(root), where=root > 0)
    return {"into": (V * inverse).astype(np.float32), "out": (V * root).astype(np.float32)}
