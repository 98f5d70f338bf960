"""Implicit ALS (Hu, Koren & Volinsky, 2008), solved by conjugate gradients (Takács et al., 2011), float32.

Every (user, item) cell has a preference p (1 for a positive entry, else 0) and a confidence
c = 1 + alpha * |x_ui| (1 for cells without an entry; a negative entry is a confident 0).
User factors U and item factors Y minimise sum c (p - u.y)^2 + l2 (|U|^2 + |Y|^2), alternately,
each half-step a few conjugate-gradient steps per row warm-started from the previous factors;
the n x n_items cells never exist, only the stored entries and Y^T Y.

A history row h is scored by folding it in exactly: x_h = (Y^T C_h Y + l2 I)^-1 Y^T C_h p_h,
score = Y x_h, so new and changed histories are served without a refit, and the score splits
exactly into what each positive history item adds (c_i (A^-1 y_i) . y_j).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommendations.engine.base import Recommender

# Stored entries whose factor rows are gathered at once in a CG product (bounds two (chunk, f) buffers).
DOT_CHUNK = 1_000_000


def confidences(X: sp.csr_matrix, alpha: float) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(C - 1, C * P) as CSR float32 with X's pattern: extra confidence of each entry, and target."""
    extra = sp.csr_matrix((np.float32(alpha) * np.abs(X.data), X.indices, X.indptr), shape=X.shape)
    target = sp.csr_matrix(((1 + extra.data) * (X.data > 0), X.indices, X.indptr), shape=X.shape)
    return extra, target


def row_dots(A: np.ndarray, B: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """(nnz,) float32 A[rows[n]] . B[cols[n]], in chunks."""
    out = np.empty(len(rows), dtype=np.float32)
    for start in range(0, len(rows), DOT_CHUNK):
        stop = start + DOT_CHUNK
        out[start:stop] = np.einsum("ij,ij->i", A[rows[start:stop]], B[cols[start:stop]])
    return out


def cg_half_step(
    extra: sp.csr_matrix, target: sp.csr_matrix, X: np.ndarray, Y: np.ndarray, l2: float, steps: int
) -> np.ndarray:
    """New X (n, f): `steps` CG steps from X on every row's (Y^T C_u Y + l2 I) x_u = Y^T C_u p_u."""
    G = (Y.T @ Y).astype(np.float32) + np.float32(l2) * np.eye(Y.shape[1], dtype=np.float32)
    rows = np.repeat(np.arange(extra.shape[0]), np.diff(extra.indptr))
    cols = extra.indices

    def apply(P: np.ndarray) -> np.ndarray:
        weighted = sp.csr_matrix((extra.data * row_dots(P, Y, rows, cols), cols, extra.indptr), shape=extra.shape)
        return P @ G + weighted @ Y

    X = X.copy()
    r = (target @ Y) - apply(X)
    p = r.copy()
    rs = np.einsum("ij,ij->i", r, r)
    for _ in range(steps):
        Ap = apply(p)
        pAp = np.einsum("ij,ij->i", p, Ap)
        step = np.divide(rs, pAp, out=np.zeros_like(rs), where=pAp > 0)[:, None]
        X += step * p
        r -= step * Ap
        rs_new = np.einsum("ij,ij->i", r, r)
        p = r + np.divide(rs_new, rs, out=np.zeros_like(rs), where=rs > 0)[:, None] * p
        rs = rs_new
    return X


class IALS(Recommender):
    """Latent factors from weighted implicit feedback; see the module docstring."""

    name = "ials"

    def __init__(
        self, factors: int = 64, l2: float = 5.0, alpha: float = 2.0, iterations: int = 15, cg_steps: int = 3, seed=0
    ):
        super().__init__(
            factors=int(factors),
            l2=float(l2),
            alpha=float(alpha),
            iterations=int(iterations),
            cg_steps=int(cg_steps),
            seed=int(seed),
        )
        self.Y = np.zeros((0, int(factors)), dtype=np.float32)
        self.gram = np.zeros((int(factors), int(factors)), dtype=np.float32)

    def _fit(self, X: sp.csr_matrix, *, item_texts, timestamps) -> None:
        p = self.params
        rng = np.random.default_rng(p["seed"])
        extra, target = confidences(X, p["alpha"])
        extra_t, target_t = extra.T.tocsr(), target.T.tocsr()
        scale = np.float32(0.01)
        U = (rng.standard_normal((X.shape[0], p["factors"]), dtype=np.float32) * scale).astype(np.float32)
        Y = (rng.standard_normal((X.shape[1], p["factors"]), dtype=np.float32) * scale).astype(np.float32)
        for _ in range(p["iterations"]):
            U = cg_half_step(extra, target, U, Y, p["l2"], p["cg_steps"])
            Y = cg_half_step(extra_t, target_t, Y, U, p["l2"], p["cg_steps"])
        self._set_state({"Y": Y})

    def fold_in(self, h: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One history row: (A = Y^T C_h Y + l2 I (f, f) float64, its positive items, their c * p)."""
        A = self.gram.astype(np.float64) + self.params["l2"] * np.eye(self.Y.shape[1])
        extra = self.params["alpha"] * np.abs(h.data.astype(np.float64))
        Yh = self.Y[h.indices].astype(np.float64)
        A += (Yh * extra[:, None]).T @ Yh
        positive = h.data > 0
        return A, h.indices[positive], 1.0 + extra[positive]

    def user_factors(self, H: sp.csr_matrix) -> np.ndarray:
        """(n, f) float32 folded-in factors of history rows, solved as one batch."""
        f = self.Y.shape[1]
        A = np.broadcast_to(self.gram.astype(np.float64) + self.params["l2"] * np.eye(f), (H.shape[0], f, f)).copy()
        extra = self.params["alpha"] * np.abs(H.data.astype(np.float64))
        for row in np.flatnonzero(np.diff(H.indptr)):  # + Y_h^T (C_h - I) Y_h, one small product per row
            start, stop = H.indptr[row], H.indptr[row + 1]
            Yh = self.Y[H.indices[start:stop]].astype(np.float64)
            A[row] += (Yh * extra[start:stop, None]).T @ Yh
        weights = (1.0 + extra) * (H.data > 0)
        b = sp.csr_matrix((weights, H.indices, H.indptr), shape=H.shape) @ self.Y.astype(np.float64)
        return np.linalg.solve(A, b[:, :, None])[:, :, 0].astype(np.float32)

    def _scores(self, H: sp.csr_matrix) -> np.ndarray:
        return self.user_factors(H) @ self.Y.T

    def contributions(self, h: sp.csr_matrix, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact split of each item's score by positive history item: (hist, (m, len(items)) float64)."""
        A, hist, weights = self.fold_in(h)
        if len(hist) == 0 or len(items) == 0:
            return hist, np.zeros((len(hist), len(items)))
        solved = np.linalg.solve(A, self.Y[hist].astype(np.float64).T)  # (f, m): A^-1 y_i per history item
        return hist, weights[:, None] * (solved.T @ self.Y[items].astype(np.float64).T)

    def _state(self) -> dict:
        return {"Y": self.Y}

    def _set_state(self, state: dict) -> None:
        self.Y = np.asarray(state["Y"], dtype=np.float32)
        self.gram = self.Y.T @ self.Y
