"""Recommendation engine: pure numpy / scipy / scikit-learn, no Django.

Every algorithm fits on a (n_users, n_items) float32 CSR confidence matrix and
scores users' current history rows; see `base.Recommender` for the interface.
"""

from __future__ import annotations

import json

import numpy as np

from recommendations.engine.base import Reason, Recommender, unflatten_state
from recommendations.engine.content import Content
from recommendations.engine.ease import EASE, Exposure
from recommendations.engine.hybrid import Hybrid
from recommendations.engine.ials import IALS
from recommendations.engine.infae import InfiniteAE
from recommendations.engine.knn import ItemKNN
from recommendations.engine.lowpass import LowPass
from recommendations.engine.popularity import Popularity, Trending
from recommendations.engine.rp3beta import RP3beta
from recommendations.engine.slim import SLIM
from recommendations.engine.userknn import UserKNN

ALGORITHMS: dict[str, type[Recommender]] = {
    "popularity": Popularity,
    "trending": Trending,
    "itemknn": ItemKNN,
    "userknn": UserKNN,
    "content": Content,
    "ease": EASE,
    "exposure": Exposure,
    "rp3beta": RP3beta,
    "slim": SLIM,
    "ials": IALS,
    "infae": InfiniteAE,
    "lowpass": LowPass,
    "hybrid": Hybrid,
}

__all__ = ["ALGORITHMS", "Reason", "Recommender", "build_model", "load_model"]


def build_model(name: str = "hybrid", **params) -> Recommender:
    """A new, unfitted model of algorithm `name` (see ALGORITHMS) with its parameters."""
    try:
        cls = ALGORITHMS[name]
    except KeyError:
        raise ValueError(f"unknown algorithm {name!r}; choose one of {', '.join(ALGORITHMS)}") from None
    return cls(**params)


def load_model(path_or_fileobj) -> tuple[Recommender, dict[str, np.ndarray]]:
    """Read a model written by `Recommender.save`: (fitted model, extra arrays)."""
    with np.load(path_or_fileobj, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    header = json.loads(str(arrays.pop("__header__")[0]))
    extra = {key[len("extra:") :]: arrays.pop(key) for key in list(arrays) if key.startswith("extra:")}
    model = build_model(header["name"], **header["params"])
    model.set_full_state(unflatten_state(arrays))
    return model, extra
