"""Infinite-width autoencoder: kernel ridge regression over users (after Sachdeva et al., 2022).

An autoencoder with one infinitely wide ReLU hidden layer, trained to reconstruct each training
user's row, is a kernel machine. With the arc-cosine kernel of degree 1 (the layer's Gaussian-process
kernel; Cho & Saul, 2009)

    k(h, x) = |h| |x| g(cos t),   g(c) = (sin t + (pi - t) c) / pi,   t = arccos c,

fitting is one linear solve over the training users' positive rows X (m, n_items):

    alpha = (K + lambda I)^-1 X,   K = k(X, X),   lambda = l2 * mean(diag K),

and a history row h is scored by k(h, X) alpha. It is a user-side model: a person is compared with
every training user as a whole history, not item by item, which is what item models (EASE,
item-kNN) cannot do. Its cost is cubic in the training users and its weights hold m x n_items
floats, so the hybrid uses it on catalogs with few enough people only (see tuning.py).

k is positively homogeneous of degree 1 in h, so by Euler's theorem a score splits exactly into
what each history item adds: h_i * dk/dh_i, with dk/dh = |x| (g - c g') h / |h| + g' x and
g'(c) = (pi - t) / pi.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from recommendations.engine.base import Recommender, positive_part


def row_norms(A: sp.csr_matrix) -> np.ndarray:
    """(n,) float64 Euclidean norms of A's rows."""
    return np.sqrt(np.asarray(A.multiply(A).sum(axis=1), dtype=np.float64).ravel())


def cosines(H: sp.csr_matrix, X: sp.csr_matrix, h_norms: np.ndarray, x_norms: np.ndarray) -> np.ndarray:
    """(n, m) float64 cosine of every row of H with every row of X (0 where either is empty)."""
    dots = np.asarray((H @ X.T).todense(), dtype=np.float64)
    denominator = np.outer(h_norms, x_norms)
    np.divide(dots, denominator, out=dots, where=denominator > 0)
    return np.clip(dots, -1.0, 1.0, out=dots)


def arccos_kernel(H: sp.csr_matrix, X: sp.csr_matrix, h_norms=None, x_norms=None) -> np.ndarray:
    """(n, m) float64 arc-cosine kernel of degree 1 between the rows of H and those of X."""
    h_norms = row_norms(H) if h_norms is None else h_norms
    x_norms = row_norms(X) if x_norms is None else x_norms
    c = cosines(H, X, h_norms, x_norms)
    t = np.arccos(c)
    return np.outer(h_norms, x_norms) * (np.sin(t) + (np.pi - t) * c) / np.pi


def kernel_weights(K: np.ndarray, Y: np.ndarray, l2: float) -> np.ndarray:
    """(m, n_items) float32 (K + l2 * mean(diag K) I)^-1 Y, by a Cholesky solve."""
    ridge = l2 * max(float(np.mean(np.diag(K))), 1e-12)
    A = K + ridge * np.eye(K.shape[0])
    return scipy.linalg.solve(A, Y, assume_a="pos", overwrite_a=True).astype(np.float32)


class InfiniteAE(Recommender):
    name = "infae"

    def __init__(self, l2: float = 2.0):
        super().__init__(l2=float(l2))
        self.users = sp.csr_matrix((0, 0), dtype=np.float32)  # (m, n_items) positive rows of training users
        self.alpha = np.zeros((0, 0), dtype=np.float32)  # (m, n_items)

    def _fit(self, X: sp.csr_matrix, *, item_texts, timestamps) -> None:
        Xp = positive_part(X)
        Xp = Xp[np.flatnonzero(np.diff(Xp.indptr))]  # people with no positive entry say nothing here
        norms = row_norms(Xp)
        K = arccos_kernel(Xp, Xp, norms, norms)
        self._set_state({"users": Xp, "alpha": kernel_weights(K, Xp.toarray(), self.params["l2"])})

    @classmethod
    def from_weights(cls, users: sp.csr_matrix, alpha: np.ndarray, n_items: int, l2: float) -> InfiniteAE:
        """A fitted model from training rows and their weights (the search solves for several l2 at once)."""
        model = cls(l2=l2)
        model.n_items = n_items
        model._set_state({"users": users, "alpha": alpha})
        return model

    def _scores(self, H: sp.csr_matrix) -> np.ndarray:
        if self.users.shape[0] == 0:
            return np.zeros((H.shape[0], self.n_items), dtype=np.float32)
        K = arccos_kernel(positive_part(H), self.users, x_norms=self.user_norms)
        return (K.astype(np.float32) @ self.alpha).astype(np.float32, copy=False)

    def contributions(self, h: sp.csr_matrix, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact split of each item's score by positive history item (Euler's theorem, module doc)."""
        positive = h.data > 0
        hist, weights = h.indices[positive], h.data[positive].astype(np.float64)
        if len(hist) == 0 or len(items) == 0 or self.users.shape[0] == 0:
            return hist, np.zeros((len(hist), len(items)))
        hp = positive_part(h)
        h_norm = float(np.sqrt(np.sum(weights**2)))
        c = cosines(hp, self.users, np.array([h_norm]), self.user_norms)[0]
        t = np.arccos(c)
        g = (np.sin(t) + (np.pi - t) * c) / np.pi
        slope = (np.pi - t) / np.pi
        # dk_v/dh_i = |x_v| (g_v - c_v g'_v) h_i / |h| + g'_v x_vi, for every history item i and user v
        radial = self.user_norms * (g - c * slope)
        D = np.outer(weights / h_norm, radial) + self.users[:, hist].toarray().T.astype(np.float64) * slope
        return hist, weights[:, None] * (D @ self.alpha[:, items].astype(np.float64))

    def _state(self) -> dict:
        return {"users": self.users, "alpha": self.alpha}

    def _set_state(self, state: dict) -> None:
        self.users = sp.csr_matrix(state["users"], dtype=np.float32)
        self.alpha = np.asarray(state["alpha"], dtype=np.float32)
        self.user_norms = row_norms(self.users)
