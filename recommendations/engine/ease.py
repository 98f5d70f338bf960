"""EASE: a linear item-item model with a closed form (Steck, 2019).

B = argmin ||X - X B||^2 + l2 ||B||^2 with diag(B) = 0, i.e. B = I - P / diag(P)
where P = (X^T X + l2 I)^-1. The inverse is dense, so on large catalogs the
model is restricted to the `max_items` most active items; the others score 0.

With dropout p > 0 the penalty on item i's weights grows with its own activity,
l2 + p / (1 - p) * G_ii: the closed form of training with input dropout, the
emphasized denoising linear autoencoder of Steck (2020), "Autoencoders that
don't overfit towards the identity". It damps what popular items say about
everything else, which EASE's single l2 cannot do without damping the rest.

With item documents and side_ratio > 0, the terms of each item's TF-IDF vector
act as extra "users" (collective EASE): the gram gains side_ratio * l2 * F F^T,
so items that share genres and tags borrow strength from each other.

`Exposure` is EASE on what people rated or used at all, whatever the rating:
every stored entry counts 1. With graded feedback it answers "what will this
person watch" beside EASE's "what will they value"; the hybrid blends both.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from recommendations.engine.base import Recommender
from recommendations.engine.content import tfidf_matrix
from recommendations.engine.knn import cooccurrence_input, engine_threads

# Rows of the gram computed at once (a dense buffer of ~25 MB per thread).
GRAM_BLOCK_CELLS = 6_000_000


def active_items(X: sp.csr_matrix, max_items: int, min_count: int = 1) -> np.ndarray:
    """(m,) int64 sorted indices of the most active items (at most max_items, >= min_count positives)."""
    counts = np.bincount(X.indices[X.data > 0], minlength=X.shape[1])
    order = np.argsort(-counts, kind="stable")[:max_items]
    return np.sort(order[counts[order] >= min_count]).astype(np.int64)


def gram(X: sp.csr_matrix, items: np.ndarray) -> np.ndarray:
    """Dense (m, m) float32 X[:, items]^T X[:, items] over the positive part of X."""
    Xi = cooccurrence_input(X)[:, items]
    Xit = Xi.T.tocsr()
    G = np.empty((len(items), len(items)), dtype=np.float32)
    step = max(1, GRAM_BLOCK_CELLS // max(len(items), 1))

    def rows(start: int) -> None:  # scipy releases the GIL in the product: blocks run side by side
        G[start : start + step] = (Xit[start : start + step] @ Xi).toarray()

    with ThreadPoolExecutor(engine_threads()) as pool:
        list(pool.map(rows, range(0, len(items), step)))
    return G


def side_gram(item_texts: list[str], items: np.ndarray) -> np.ndarray:
    """Dense (m, m) float32 F F^T over the TF-IDF rows of `items` (cosine of their documents)."""
    F = tfidf_matrix(item_texts)[items]
    return (F @ F.T).toarray().astype(np.float32)


def ease_weights(G: np.ndarray, l2: float, dropout: float = 0.0) -> np.ndarray:
    """(m, m) float32 EASE weights from a gram matrix; G is not modified.

    B = I - P / diag(P), P = (G + diag(l2 + dropout / (1 - dropout) * diag(G)))^-1, diag(B) = 0.

    A float32 Cholesky inverse is ~5x faster than a general float64 inverse;
    should it fail (ill-conditioned), the float64 path takes over.
    """
    penalty = l2 + dropout / (1.0 - dropout) * np.diag(G).astype(np.float64)
    # G is symmetric, so its transpose is the Fortran-ordered copy LAPACK wants.
    A = np.array(G, dtype=np.float32, order="F")
    A[np.diag_indices_from(A)] += penalty.astype(np.float32)
    factor, info = lapack.spotrf(A, lower=1, overwrite_a=1)
    if info == 0:
        P, info = lapack.spotri(factor, lower=1, overwrite_c=1)
    if info != 0:
        P = np.linalg.inv(G.astype(np.float64) + np.diag(penalty)).astype(np.float32)
    P = np.tril(P) + np.tril(P, -1).T  # potri fills the lower triangle only
    B = P / -np.diag(P)[None, :]
    np.fill_diagonal(B, 0.0)
    return B.astype(np.float32, copy=False)


class EASE(Recommender):
    """Linear item-item model; scores = H[:, items] @ B."""

    name = "ease"

    def __init__(
        self,
        l2: float = 250.0,
        max_items: int = 12_000,
        min_count: int = 2,
        side_ratio: float = 0.0,
        dropout: float = 0.0,
    ):
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        super().__init__(
            l2=float(l2),
            max_items=int(max_items),
            min_count=int(min_count),
            side_ratio=float(side_ratio),
            dropout=float(dropout),
        )
        self.items = np.zeros(0, dtype=np.int64)
        self.B = np.zeros((0, 0), dtype=np.float32)

    def model_items(self, X: sp.csr_matrix) -> np.ndarray:
        """The items the model covers on X."""
        return active_items(X, self.params["max_items"], self.params["min_count"])

    def _fit(self, X: sp.csr_matrix, *, item_texts, timestamps, cooccurrences=None) -> None:
        """`cooccurrences` (items, G) skips counting them: items must be self.model_items(X) and
        G = ease.gram(X, items) (`knn.item_similarity` can fill it in passing)."""
        self.items = self.model_items(X)
        if cooccurrences is not None:
            items, G = cooccurrences
            if not np.array_equal(items, self.items):
                raise ValueError("the given gram is not over this model's items")
        else:
            G = gram(X, self.items)
        if item_texts is not None and self.params["side_ratio"] > 0:
            G = G + np.float32(self.params["side_ratio"] * self.params["l2"]) * side_gram(item_texts, self.items)
        self.B = ease_weights(G, self.params["l2"], self.params["dropout"])

    def _scores(self, H: sp.csr_matrix) -> np.ndarray:
        out = np.zeros((H.shape[0], self.n_items), dtype=np.float32)
        if len(self.items):
            out[:, self.items] = H[:, self.items] @ self.B
        return out

    def _item_weights(self, hist: np.ndarray, items: np.ndarray) -> np.ndarray:
        position = np.full(self.n_items, -1)
        position[self.items] = np.arange(len(self.items))
        ph, pi = position[hist], position[items]
        out = np.zeros((len(hist), len(items)))
        ok_h, ok_i = ph >= 0, pi >= 0
        out[np.ix_(ok_h, ok_i)] = self.B[np.ix_(ph[ok_h], pi[ok_i])]
        return out

    def _state(self) -> dict:
        return {"items": self.items, "B": self.B}

    def _set_state(self, state: dict) -> None:
        self.items, self.B = state["items"].astype(np.int64), state["B"]


def seen(X: sp.csr_matrix) -> sp.csr_matrix:
    """Every stored entry of X as 1: which items a person rated or used, whatever the sign or strength."""
    out = sp.csr_matrix(X, dtype=np.float32, copy=True)
    out.data[:] = 1.0
    return out


class Exposure(EASE):
    """EASE fitted and scored on `seen(X)`: a disliked item still says what a person watches.

    Explanations name only the history items the person liked (positive entries), as every
    model's do; a disliked item adds to the score but is never given as the reason.
    """

    name = "exposure"

    def model_items(self, X: sp.csr_matrix) -> np.ndarray:
        return super().model_items(seen(X))

    def _fit(self, X: sp.csr_matrix, *, item_texts, timestamps, cooccurrences=None) -> None:
        super()._fit(seen(X), item_texts=item_texts, timestamps=timestamps, cooccurrences=cooccurrences)

    def _scores(self, H: sp.csr_matrix) -> np.ndarray:
        return super()._scores(seen(H))

    def contributions(self, h: sp.csr_matrix, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        hist = h.indices[h.data > 0]
        if len(hist) == 0 or len(items) == 0:
            return hist, np.zeros((len(hist), len(items)))
        return hist, self._item_weights(hist, items)
