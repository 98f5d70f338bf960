"""Content-based: TF-IDF over each item's document (title, genres, tags, description).

A user's profile is the weighted sum of the TF-IDF vectors of their history
(negative entries subtract); an item scores the cosine-like dot product with
that profile. Items nobody has interacted with yet score like any other, which
is how new items reach feeds.
"""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from recommendations.engine.base import Recommender

# Words, keeping inner hyphens ("sci-fi"); "|"-separated genre lists split into words too.
TOKEN = r"(?u)\b\w[\w'-]*\w\b|\b\w\b"


def tfidf_matrix(texts: list[str]) -> sp.csr_matrix:
    """(n_items, n_terms) float32 CSR, rows L2-normalised (all-zero for empty documents)."""
    cleaned = [re.sub(r"[|/,]", " ", t or "").lower() for t in texts]
    if not any(c.strip() for c in cleaned):
        return sp.csr_matrix((len(texts), 1), dtype=np.float32)
    vectorizer = TfidfVectorizer(token_pattern=TOKEN, sublinear_tf=True, dtype=np.float32)
    return sp.csr_matrix(vectorizer.fit_transform(cleaned), dtype=np.float32)


class Content(Recommender):
    name = "content"
    reason_kind = "content"

    def __init__(self):
        super().__init__()
        self.features = sp.csr_matrix((0, 1), dtype=np.float32)
        self.features_t = self.features.T.tocsr()

    def _fit(self, X: sp.csr_matrix, *, item_texts, timestamps) -> None:
        texts = item_texts if item_texts is not None else [""] * self.n_items
        self._set_state({"features": tfidf_matrix(texts)})

    def _scores(self, H: sp.csr_matrix) -> np.ndarray:
        profile = H @ self.features  # (n, n_terms)
        return (profile @ self.features_t).toarray().astype(np.float32, copy=False)

    def _item_weights(self, hist: np.ndarray, items: np.ndarray) -> np.ndarray:
        return (self.features[hist] @ self.features[items].T).toarray().astype(np.float64)

    def _state(self) -> dict:
        return {"features": self.features}

    def _set_state(self, state: dict) -> None:
        self.features = sp.csr_matrix(state["features"], dtype=np.float32)
        self.features_t = self.features.T.tocsr()
