"""The default model: a weighted blend of EASE, EASE on exposure, item-kNN, user-kNN, the infinite-width
autoencoder, the low-pass filter, RP3beta, SLIM, iALS, content and popularity.

Each component's scores are divided by their largest absolute value in the
row, so weights compare like with like. Weights and hyper-parameters are
chosen on a validation split carved out of the training matrix (see tuning.py)
unless they are given, as they are when a saved model is loaded.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommendations.engine.base import Reason, Recommender, as_csr, mask_seen, row_scale, scale_negatives, top_k
from recommendations.engine.knn import item_similarity
from recommendations.engine.tuning import DEFAULTS, build_component, tune

COLLABORATIVE = ("ease", "exposure", "itemknn", "userknn", "infae", "lowpass", "rp3beta", "slim", "ials")
COMPONENTS = (*COLLABORATIVE, "content", "popularity")
# Content keeps at least this share of the blend, so items nobody has touched yet
# (which only content can score) stay reachable and rank by their similarity.
CONTENT_FLOOR = 0.01
REASON_KINDS = ("content", "item", "popularity")  # alphabetical: equal shares rank by kind, then item
# Parameters under their earlier names, so that models saved before a rename still load.
RENAMED = {"infae_validation_fraction": "dense_validation_fraction", "infae_validation_ndcg": "dense_validation_ndcg"}


class Hybrid(Recommender):
    name = "hybrid"

    def __init__(self, weights: dict | None = None, **params):
        params = {RENAMED.get(key, key): value for key, value in params.items()}
        unknown = set(params) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"unknown hybrid parameter(s): {', '.join(sorted(unknown))}")
        super().__init__(weights=weights, **{**DEFAULTS, **params})
        self.models: dict[str, Recommender] = {}

    @property
    def weights(self) -> dict[str, float]:
        return self.params["weights"] or {}

    def _fit(self, X: sp.csr_matrix, *, item_texts, timestamps, similarity=None) -> None:
        """`similarity`: a precomputed item-kNN matrix (merged blocks), computed with k >= the
        tuned itemknn_k and shrinkage = params["shrinkage"]; it is truncated to the tuned k."""
        if self.params["weights"] is None:
            self.params.update(tune(X, item_texts, self.params))
        weights = dict(self.weights)
        if item_texts is None:
            weights.pop("content", None)
        elif weights.get("content", 0) < CONTENT_FLOOR * sum(weights.values()):
            weights["content"] = CONTENT_FLOOR * max(sum(weights.values()), 1e-6)
        self.params["weights"] = {c: float(w) for c, w in weights.items() if w > 0}
        self.models = {name: build_component(name, self.params) for name in self.params["weights"]}
        extra = {name: {} for name in self.models}
        if "itemknn" in self.models and similarity is not None:
            extra["itemknn"]["similarity"] = similarity
        elif "itemknn" in self.models and "ease" in self.models:
            # Both count the same co-occurrences: count them once, for the similarity and EASE's gram.
            items = self.models["ease"].model_items(X)
            S, G = item_similarity(X, k=self.params["itemknn_k"], shrinkage=self.params["shrinkage"], gram_items=items)
            extra["itemknn"]["similarity"], extra["ease"]["cooccurrences"] = S, (items, G)
            del S, G
        for name, model in self.models.items():
            model.fit(X, item_texts=item_texts, timestamps=timestamps, **extra[name])
            extra[name] = {}  # let a big gram go as soon as its model holds its weights

    def component_scores(self, H: sp.csr_matrix) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """name -> (raw scores (n, n_items) float32, row scale (n, 1) float32)."""
        out = {}
        H = scale_negatives(H, self.params["negative_scale"])
        for name, model in self.models.items():
            raw = model.scores(H)
            out[name] = (raw, row_scale(raw))
        return out

    def _scores(self, H: sp.csr_matrix) -> np.ndarray:
        return self._blend(self.component_scores(H), H.shape[0])

    def _blend(self, scored: dict[str, tuple[np.ndarray, np.ndarray]], n: int) -> np.ndarray:
        """The weighted sum of row-scaled component scores, (n, n_items) float32."""
        total = np.zeros((n, self.n_items), dtype=np.float32)
        for name, (raw, scale) in scored.items():
            total += raw * (np.float32(self.weights[name]) / scale)
        return total

    def recommend_explained(self, h, k: int, *, exclude: np.ndarray | None = None, top: int = 3):
        """As Recommender.recommend_explained, scoring each component once for both."""
        h = as_csr(h, self.n_items)
        scored = self.component_scores(h)
        total = self._blend(scored, 1)
        mask_seen(total, h, exclude)
        items, scores = top_k(total, k, self.prior)
        return items[0], scores[0], self.explain(h, items[0], top, scored=scored)

    def explain(self, h, items, top: int = 3, *, scored=None) -> list[list[Reason]]:
        """Per item: history items (kind "item" for collaborative evidence, "content" for
        similar documents) or the popularity signal, ranked by what they added to the blend.

        scored: this row's component_scores(h), when the caller has them already.
        """
        h = as_csr(h, self.n_items)
        items = np.asarray(items, dtype=np.int64).reshape(-1)
        safe = np.maximum(items, 0)
        keys, parts = [], []  # a key per contribution row: kind code * (n_items + 1) + history item + 1
        for name, (raw, scale) in (scored if scored is not None else self.component_scores(h)).items():
            factor = self.weights[name] / float(scale[0, 0])
            if name == "popularity":
                keys.append(np.array([REASON_KINDS.index("popularity") * (self.n_items + 1)]))
                parts.append(factor * raw[:, safe].astype(np.float64))
                continue
            hist, contrib = self.models[name].contributions(h, safe)
            code = REASON_KINDS.index("content" if name == "content" else "item")
            keys.append(code * (self.n_items + 1) + np.asarray(hist, dtype=np.int64) + 1)
            parts.append(factor * contrib)
        if not parts:
            return [[Reason("popularity", -1, 1.0)] if j >= 0 else [] for j in items]
        # Sum what each (kind, history item) added, in the order the parts come, as one table.
        unique, inverse = np.unique(np.concatenate(keys), return_inverse=True)
        totals = np.zeros((len(unique), len(items)))
        np.add.at(totals, inverse, np.vstack(parts))
        return [self._item_reasons(unique, totals[:, n], top) if j >= 0 else [] for n, j in enumerate(items)]

    def _item_reasons(self, keys: np.ndarray, totals: np.ndarray, top: int) -> list[Reason]:
        positive = np.flatnonzero(totals > 0)
        whole = totals[positive].sum()
        if whole <= 0:
            return [Reason("popularity", -1, 1.0)]
        best = positive[np.lexsort((positive, -totals[positive]))][:top]  # ties: by kind, then item
        stride = self.n_items + 1
        return [
            Reason(REASON_KINDS[int(keys[i] // stride)], int(keys[i] % stride) - 1, float(totals[i] / whole))
            for i in best
        ]

    def _similar_row(self, item: int) -> np.ndarray:
        # Collaborative neighbours when the item has any; content similarity for new items.
        for name in ("itemknn", "ease", "rp3beta", "content"):
            model = self.models.get(name)
            if model is not None:
                row = model.similar_row(item)
                if np.any(row > 0):
                    return row
        return self.models["popularity"].similar_row(item) if "popularity" in self.models else np.zeros(self.n_items)

    def _state(self) -> dict:
        return {name: model.full_state() for name, model in self.models.items()}

    def _set_state(self, state: dict) -> None:
        self.models = {}
        for name in self.params["weights"]:
            self.models[name] = build_component(name, self.params).set_full_state(dict(state[name]))
