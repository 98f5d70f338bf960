"""Training: database -> matrices -> engine -> artifact -> activation.

This module is the one boundary between database ids and matrix indices: an
artifact stores the item and user primary keys of its rows and columns, so
serving can map a user's current history onto the model.
"""

import io
import logging
import time
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from catalog.models import Interaction, Item, ItemTag, Rating
from recommendations.engine import build_model
from recommendations.engine.evaluation import holdout_metrics
from recommendations.engine.weighting import build_matrix, event_weights, rating_weights
from recommendations.models import ModelVersion

log = logging.getLogger(__name__)


@dataclass
class TrainingData:
    """A user x item confidence matrix and the ids of its rows and columns."""

    matrix: "scipy.sparse.csr_matrix"  # noqa: F821 - (n_users, n_items) float32
    user_ids: np.ndarray  # (n_users,) int64 primary keys
    item_ids: np.ndarray  # (n_items,) int64 primary keys
    item_texts: list[str]
    n_events: int


def training_data_extract() -> TrainingData:
    """Read every rating and interaction in bulk (tuples, never model instances)."""
    item_ids = np.fromiter(Item.objects.active().order_by("pk").values_list("pk", flat=True), dtype=np.int64)
    ratings = np.array(list(Rating.objects.values_list("user_id", "item_id", "value")), dtype=np.float64).reshape(-1, 3)
    events = list(Interaction.objects.values_list("user_id", "item_id", "kind", "value"))
    ev_users = np.array([e[0] for e in events], dtype=np.int64)
    ev_items = np.array([e[1] for e in events], dtype=np.int64)
    ev_kinds = np.array([e[2] for e in events], dtype=object)
    ev_values = np.array([np.nan if e[3] is None else e[3] for e in events], dtype=np.float64)

    users = np.concatenate([ratings[:, 0].astype(np.int64), ev_users])
    items = np.concatenate([ratings[:, 1].astype(np.int64), ev_items])
    weights = np.concatenate([rating_weights(ratings[:, 2]), event_weights(ev_kinds, ev_values)])

    # Hidden items are left out of the columns; their events are dropped.
    col = np.searchsorted(item_ids, items)
    known = (col < len(item_ids)) & (item_ids[np.minimum(col, len(item_ids) - 1)] == items)
    user_ids, row = np.unique(users[known], return_inverse=True)
    matrix = build_matrix(row, col[known], weights[known], len(user_ids), len(item_ids))
    return TrainingData(matrix, user_ids, item_ids, item_texts_for(item_ids), int(known.sum()))


def item_texts_for(item_ids: np.ndarray) -> list[str]:
    """One document per item (title, genres, tags, description) for the content model."""
    position = {pk: i for i, pk in enumerate(item_ids.tolist())}
    parts: list[list[str]] = [[] for _ in position]
    for pk, title, description in Item.objects.filter(pk__in=position).values_list("pk", "title", "description"):
        parts[position[pk]].extend([title, description])
    for pk, genre in Item.genres.through.objects.filter(item_id__in=position).values_list("item_id", "genre__name"):
        parts[position[pk]].append(genre)
    for pk, tag in ItemTag.objects.filter(item_id__in=position).values_list("item_id", "tag__name"):
        parts[position[pk]].append(tag)
    return [" ".join(p for p in doc if p) for doc in parts]


def train_model_version(*, trigger: str = ModelVersion.Trigger.MANUAL, algorithm: str | None = None) -> ModelVersion:
    """Train, evaluate and store a new version, then activate it. Failures are recorded, not raised."""
    algorithm = algorithm or settings.ENCORE_MODEL_ALGORITHM
    version = ModelVersion.objects.create(algorithm=algorithm, trigger=trigger)
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        data = training_data_extract()
        timings["extract"] = time.perf_counter() - started

        started = time.perf_counter()
        model = build_model(algorithm).fit(data.matrix, item_texts=data.item_texts)
        timings["fit"] = time.perf_counter() - started

        started = time.perf_counter()
        metrics = holdout_metrics(lambda: build_model(algorithm), data.matrix, item_texts=data.item_texts)
        timings["evaluate"] = time.perf_counter() - started

        started = time.perf_counter()
        buffer = io.BytesIO()
        model.save(buffer, extra={"item_ids": data.item_ids, "user_ids": data.user_ids})
        version.artifact.save(f"model-{version.pk}.npz", ContentFile(buffer.getvalue()), save=False)
        timings["write"] = time.perf_counter() - started
    except Exception as exc:
        log.exception("training version %s failed", version.pk)
        version.status, version.error, version.timings = ModelVersion.Status.FAILED, repr(exc), timings
        version.finished_at = timezone.now()
        version.save()
        return version

    version.n_users, version.n_items = len(data.user_ids), len(data.item_ids)
    version.n_interactions, version.metrics, version.timings = data.n_events, metrics, timings
    version.config = {"algorithm": algorithm}
    version.status, version.finished_at = ModelVersion.Status.READY, timezone.now()
    version.save()
    model_version_activate(version=version)
    log.info("trained %s: %s in %.1fs", version, metrics, sum(timings.values()))
    return version


@transaction.atomic
def model_version_activate(*, version: ModelVersion) -> ModelVersion:
    """Make `version` the one that serves; the previous active one becomes ready again."""
    ModelVersion.objects.select_for_update().filter(status=ModelVersion.Status.ACTIVE).exclude(pk=version.pk).update(
        status=ModelVersion.Status.READY
    )
    version.status, version.activated_at = ModelVersion.Status.ACTIVE, timezone.now()
    version.save(update_fields=["status", "activated_at"])
    return version
