"""User-kNN: a history row's k most similar training users vote for their items.

sim(h, v) = <h+, x_v> / (|h+| |x_v| + shrinkage) over positive entries;
score(h, j) = sum over the k most similar users v of sim(h, v) * x_vj.
Because sim is linear in h, a score splits exactly into what each history
item added, which is what explanations report.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommendations.engine.base import Recommender, positive_part
from recommendations.engine.knn import keep_top_k


class UserKNN(Recommender):
    name = "userknn"

    def __init__(self, k: int = 50, shrinkage: float = 10.0):
        super().__init__(k=int(k), shrinkage=float(shrinkage))
        self.users = sp.csr_matrix((0, 0), dtype=np.float32)  # (n_users, n_items) positive part of X

    def _fit(self, X: sp.csr_matrix, *, item_texts, timestamps) -> None:
        self._set_state({"users": positive_part(X)})

    def neighbours(self, H: sp.csr_matrix) -> sp.csr_matrix:
        """(n, n_users) float32: top-k similarities of each history row to training users."""
        Hp = positive_part(H)
        h_norm = np.sqrt(np.asarray(Hp.multiply(Hp).sum(axis=1))).astype(np.float32)
        dots = (Hp @ self.users_t).toarray()
        denominator = h_norm * self.user_norms[None, :] + np.float32(self.params["shrinkage"])
        np.divide(dots, denominator, out=dots, where=denominator > 0)  # 0 there: no shared positive item
        return keep_top_k(dots, self.params["k"])

    def _scores(self, H: sp.csr_matrix) -> np.ndarray:
        return (self.neighbours(H) @ self.users).toarray().astype(np.float32, copy=False)

    def contributions(self, h: sp.csr_matrix, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact split of each item's score by positive history item: (hist, (m, len(items)) float64).

        sim_v = sum_i h_i x_vi / d_v, hence score_j = sum_i h_i * sum_v x_vi x_vj / d_v.
        """
        sims = self.neighbours(h)
        positive = h.data > 0
        hist, weights = h.indices[positive], h.data[positive].astype(np.float64)
        if len(hist) == 0 or sims.nnz == 0:
            return hist, np.zeros((len(hist), len(items)))
        users = sims.indices
        d = np.sqrt(np.sum(weights**2)) * self.user_norms[users].astype(np.float64) + self.params["shrinkage"]
        neigh = self.users[users]
        A = neigh[:, hist].toarray().astype(np.float64)
        B = neigh[:, items].toarray().astype(np.float64) / d[:, None]
        return hist, weights[:, None] * (A.T @ B)

    def _state(self) -> dict:
        return {"users": self.users}

    def _set_state(self, state: dict) -> None:
        self.users = sp.csr_matrix(state["users"], dtype=np.float32)
        self.users_t = self.users.T.tocsr()
        self.user_norms = np.sqrt(np.asarray(self.users.multiply(self.users).sum(axis=1))).ravel().astype(np.float32)
