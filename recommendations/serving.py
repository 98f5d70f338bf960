"""Serving: the active artifact + a user's current history -> ranked, explained items.

Each web process loads the active artifact once and keeps it; it looks up which
version is active at most every few seconds, so an activation elsewhere reaches
it without a restart. A user's history is read fresh on every request, so a new
rating changes the very next page.
"""

import logging
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from django.db.models import Q

from catalog.models import Interaction, Item, Rating
from recommendations.engine import load_model
from recommendations.engine.weighting import event_weights, rating_weights
from recommendations.models import ModelVersion

log = logging.getLogger(__name__)
ACTIVE_CHECK_SECONDS = 3.0


@dataclass
class LoadedModel:
    version_id: int
    model: object
    item_ids: np.ndarray  # (n_items,) int64, sorted: column -> Item pk
    position: dict[int, int] = field(repr=False)  # Item pk -> column

    def columns(self, pks) -> np.ndarray:
        return np.array([self.position.get(pk, -1) for pk in pks], dtype=np.int64)


@dataclass
class Recommendation:
    item: Item
    score: float
    reason: str
    because: list[Item] = field(default_factory=list)


class _ActiveModelCache:
    def __init__(self):
        self._lock = threading.Lock()
        self._loaded: LoadedModel | None = None
        self._checked_at = 0.0
        self._failed: set[int] = set()

    def get(self) -> LoadedModel | None:
        if time.monotonic() - self._checked_at < ACTIVE_CHECK_SECONDS:
            return self._loaded
        with self._lock:
            self._checked_at = time.monotonic()
            active = ModelVersion.objects.active().values_list("pk", "artifact").first()
            if active is None:
                self._loaded = None
            elif (self._loaded is None or self._loaded.version_id != active[0]) and active[0] not in self._failed:
                self._loaded = self._load(*active) or self._loaded
            return self._loaded

    def _load(self, version_id: int, artifact_name: str) -> LoadedModel | None:
        version = ModelVersion(pk=version_id, artifact=artifact_name)
        try:
            with version.artifact.open("rb") as handle:
                model, extra = load_model(handle)
        except Exception:
            # Keep serving what we had (or popularity) rather than fail the page.
            log.exception("cannot load artifact of model version %s; keeping the previous model", version_id)
            self._failed.add(version_id)
            return None
        item_ids = extra["item_ids"].astype(np.int64)
        return LoadedModel(version_id, model, item_ids, {int(pk): i for i, pk in enumerate(item_ids.tolist())})

    def clear(self) -> None:
        with self._lock:
            self._loaded, self._checked_at, self._failed = None, 0.0, set()


active_model = _ActiveModelCache()


def history_row(*, user, loaded: LoadedModel) -> tuple[sp.csr_matrix, dict[int, float], dict[int, str]]:
    """The user's current history as one (1, n_items) row, plus their ratings and events by item pk."""
    ratings = dict(Rating.objects.filter(user=user).values_list("item_id", "value"))
    events = list(Interaction.objects.filter(user=user).values_list("item_id", "kind", "value"))
    pks = list(ratings) + [e[0] for e in events]
    weights = np.concatenate(
        [
            rating_weights(np.array(list(ratings.values()), dtype=np.float64)),
            event_weights(
                np.array([e[1] for e in events], dtype=object),
                np.array([np.nan if e[2] is None else e[2] for e in events], dtype=np.float64),
            ),
        ]
    )
    cols = loaded.columns(pks)
    keep = cols >= 0
    n = len(loaded.item_ids)
    row = sp.csr_matrix((weights[keep], (np.zeros(int(keep.sum()), dtype=np.int64), cols[keep])), shape=(1, n))
    row.sum_duplicates()
    last_event = {}
    for pk, kind, _ in events:
        last_event[pk] = kind
    return row.astype(np.float32), ratings, last_event


def hidden_mask(loaded: LoadedModel) -> np.ndarray:
    """True for columns whose item is hidden now, whatever the model saw at training."""
    hidden = Item.objects.filter(is_active=False, pk__in=loaded.position).values_list("pk", flat=True)
    mask = np.zeros(len(loaded.item_ids), dtype=bool)
    cols = loaded.columns(hidden)
    mask[cols[cols >= 0]] = True
    return mask


def feed_for_user(*, user, limit: int = 20, item_filter: Q | None = None) -> list[Recommendation]:
    """Personal recommendations with reasons; popular items when there is no model or no history."""
    loaded = active_model.get()
    if loaded is None or not user.is_authenticated:
        return popular_for_user(user=user, limit=limit, item_filter=item_filter)
    row, ratings, events = history_row(user=user, loaded=loaded)
    if row.nnz == 0:
        return popular_for_user(user=user, limit=limit, item_filter=item_filter)
    exclude = hidden_mask(loaded)
    # Ask for more than needed so filters applied on the database side still leave `limit`.
    want = limit if item_filter is None else limit * 5
    cols, scores = loaded.model.recommend(row, want, exclude=exclude)
    cols, scores = cols[0], scores[0]
    valid = cols >= 0
    cols, scores = cols[valid], scores[valid]
    reasons = loaded.model.explain(row, cols)
    items = Item.objects.active().in_bulk(loaded.item_ids[cols].tolist())
    if item_filter is not None:
        allowed = set(Item.objects.filter(item_filter, pk__in=items).values_list("pk", flat=True))
        items = {pk: item for pk, item in items.items() if pk in allowed}
    history_pks = {loaded.item_ids[r.item] for rs in reasons for r in rs if r.item >= 0}
    history_items = Item.objects.in_bulk(list(history_pks))
    results = []
    for col, score, why in zip(cols.tolist(), scores.tolist(), reasons, strict=True):
        item = items.get(int(loaded.item_ids[col]))
        if item is None:
            continue
        text, because = describe_reason(why, loaded, history_items, ratings, events)
        results.append(Recommendation(item, float(score), text, because))
        if len(results) == limit:
            break
    return results


def describe_reason(reasons, loaded, history_items, ratings, events) -> tuple[str, list[Item]]:
    """Turn engine reasons into a sentence a person understands."""
    because = [
        history_items[int(loaded.item_ids[r.item])]
        for r in reasons
        if r.kind == "item" and r.item >= 0 and int(loaded.item_ids[r.item]) in history_items
    ]
    if because:
        top = because[0]
        if top.pk in ratings:
            stars = ratings[top.pk]
            return f"Because you rated {top.title} {'★' * int(stars)}{'½' if stars % 1 else ''}", because
        verb = {"like": "liked", "favorite": "loved", "purchase": "bought", "play": "played"}.get(
            events.get(top.pk), "watched"
        )
        return f"Because you {verb} {top.title}", because
    kinds = {r.kind for r in reasons}
    if "content" in kinds:
        similar = [
            history_items.get(int(loaded.item_ids[r.item])) for r in reasons if r.kind == "content" and r.item >= 0
        ]
        similar = [s for s in similar if s is not None]
        if similar:
            return f"Similar to {similar[0].title}, which you liked", similar
        return "Matches the genres and tags you like", []
    if "trending" in kinds:
        return "Trending now", []
    return "Popular with everyone", []


def popular_items(*, limit: int = 20, item_filter: Q | None = None, exclude_pks=()) -> list[Item]:
    queryset = Item.objects.active().filter(rating_count__gt=0).exclude(pk__in=exclude_pks)
    if item_filter is not None:
        queryset = queryset.filter(item_filter)
    return list(queryset.order_by("-rating_count", "-rating_avg", "pk")[:limit])


def popular_for_user(*, user, limit: int = 20, item_filter: Q | None = None) -> list[Recommendation]:
    seen = set()
    if user.is_authenticated:
        seen = set(Rating.objects.filter(user=user).values_list("item_id", flat=True))
        seen |= set(Interaction.objects.filter(user=user).values_list("item_id", flat=True))
    items = popular_items(limit=limit, item_filter=item_filter, exclude_pks=seen)
    return [Recommendation(item, float(item.rating_count), "Popular with everyone") for item in items]


def similar_items_for(*, item: Item, limit: int = 12) -> list[Item]:
    """Items most like `item` under the active model; same-genre favourites without one."""
    loaded = active_model.get()
    col = loaded.position.get(item.pk, -1) if loaded else -1
    if col >= 0:
        cols, _ = loaded.model.similar_items(col, limit * 2)
        pks = [int(loaded.item_ids[c]) for c in cols.tolist() if c >= 0]
        found = Item.objects.active().in_bulk(pks)
        similar = [found[pk] for pk in pks if pk in found][:limit]
        if similar:
            return similar
    genres = item.genres.values_list("pk", flat=True)
    queryset = Item.objects.active().filter(genres__in=genres).exclude(pk=item.pk).distinct()
    return list(queryset.order_by("-rating_count", "pk")[:limit])
