"""Non-personal models: popularity, and trending (popularity with time decay)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommendations.engine.base import Reason, Recommender

DAY = 86_400.0


class Popularity(Recommender):
    """Every user gets the items most people interacted with positively."""

    name = "popularity"
    reason_kind = "popularity"

    def __init__(self):
        super().__init__()
        self.item_scores = np.zeros(0, dtype=np.float32)

    def _fit(self, X: sp.csr_matrix, *, item_texts, timestamps) -> None:
        positive = X.data > 0
        self.item_scores = np.bincount(X.indices[positive], minlength=self.n_items).astype(np.float32)

    def _scores(self, H: sp.csr_matrix) -> np.ndarray:
        return np.broadcast_to(self.item_scores, (H.shape[0], self.n_items)).copy()

    def _reasons(self, hist, contrib, top) -> list[Reason]:
        return [Reason(self.reason_kind, -1, 1.0)]

    def _similar_row(self, item: int) -> np.ndarray:
        return self.item_scores.copy()

    def _state(self) -> dict:
        return {"item_scores": self.item_scores}

    def _set_state(self, state: dict) -> None:
        self.item_scores = state["item_scores"]


class Trending(Popularity):
    """Positive interactions weighted by 0.5 ** (age / half_life).

    Age is measured from the newest interaction in the data, not the clock, so
    a catalog whose activity stopped still shows what was rising at its end.
    Without timestamps every interaction has age zero (plain popularity).
    """

    name = "trending"
    reason_kind = "trending"

    def __init__(self, half_life_days: float = 14.0):
        Recommender.__init__(self, half_life_days=float(half_life_days))
        self.item_scores = np.zeros(0, dtype=np.float32)

    def _fit(self, X: sp.csr_matrix, *, item_texts, timestamps) -> None:
        positive = X.data > 0
        decay = np.ones(X.nnz)
        if timestamps is not None and X.nnz:
            ts = np.asarray(timestamps, dtype=np.float64)
            age_days = (ts[positive].max(initial=ts.max()) - ts) / DAY
            decay = np.exp2(-np.maximum(age_days, 0.0) / self.params["half_life_days"])
        scores = np.bincount(X.indices[positive], weights=decay[positive], minlength=self.n_items)
        self.item_scores = scores.astype(np.float32)
