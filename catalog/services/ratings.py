"""Ratings: one per person and item, updated in place, in single and bulk forms."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.bulk import insert_rows
from catalog.models import RATING_VALUES, Item, Rating
from catalog.services.counters import item_stats_adjust, item_stats_refresh
from catalog.services.rows import pairs_lookup, present_locked, upsert_rows

_VALID = frozenset(RATING_VALUES)
_COLUMNS = ["user_id", "item_id", "value", "created_at", "updated_at"]

# (user_id, item_id, value, at): plain tuples, so a batch of thousands builds no model instances.
RatingRow = tuple[int, int, float, datetime]


class InvalidRating(ValueError):
    pass


def rating_validate(value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise InvalidRating(f"a rating must be a number from 0.5 to 5.0, got {value!r}") from None
    if value not in _VALID:
        raise InvalidRating(f"a rating must be 0.5 to 5.0 in half steps, got {value}")
    return value


@transaction.atomic
def rating_upsert(*, user, item: Item, value, at: datetime | None = None) -> Rating:
    """Create or update the user's one rating of `item`; the item's counters follow."""
    value, at = rating_validate(value), at or timezone.now()
    rating, created = Rating.objects.select_for_update().get_or_create(
        user=user, item=item, defaults={"value": value, "created_at": at, "updated_at": at}
    )
    if created:
        item_stats_adjust(item_id=item.pk, count=1, total=value)
    elif rating.value != value:
        item_stats_adjust(item_id=item.pk, count=0, total=value - rating.value)
        rating.value, rating.updated_at = value, at
        rating.save(update_fields=["value", "updated_at"])
    return rating


@transaction.atomic
def rating_delete(*, user, item: Item) -> bool:
    """Remove the user's rating of `item`; False if there was none."""
    old = Rating.objects.select_for_update().filter(user=user, item=item).values_list("value", flat=True).first()
    if old is None:
        return False
    Rating.objects.filter(user=user, item=item).delete()
    item_stats_adjust(item_id=item.pk, count=-1, total=-old)
    return True


@dataclass
class RatingsWritten:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Rows naming a person or item deleted before the batch could lock it: not written.
    missing_users: set[int] = field(default_factory=set)
    missing_items: set[int] = field(default_factory=set)


@transaction.atomic
def ratings_upsert_bulk(*, rows: Iterable[RatingRow]) -> RatingsWritten:
    """Many rating_upserts at once: the same end state, set-based.

    Within the batch the last row of a (user, item) pair wins, as it would one
    request at a time. The counters of the items whose ratings changed are
    refreshed in one statement before commit.
    """
    latest: dict[tuple[int, int], tuple[float, datetime]] = {}
    for user_id, item_id, value, at in rows:
        if value not in _VALID:
            raise InvalidRating(f"a rating must be 0.5 to 5.0 in half steps, got {value}")
        latest[user_id, item_id] = (value, at)
    written = RatingsWritten()
    if not latest:
        return written
    users = present_locked(get_user_model(), {user_id for user_id, _ in latest})
    items = present_locked(Item, {item_id for _, item_id in latest})
    written.missing_users = {user_id for user_id, _ in latest} - users
    written.missing_items = {item_id for _, item_id in latest} - items
    kept = {pair: row for pair, row in latest.items() if pair[0] in users and pair[1] in items}
    stored = pairs_lookup(Rating, ("user_id", "item_id"), "value", kept)
    new, changed = [], []
    # Sorted, so two batches touching the same ratings lock them in the same order.
    for (user_id, item_id), (value, at) in sorted(kept.items()):
        old = stored.get((user_id, item_id))
        if old is None:
            new.append((user_id, item_id, value, at, at))
        elif old != value:
            changed.append((user_id, item_id, value, at, at))
    _insert_new(new)
    upsert_rows(Rating, _COLUMNS, changed, unique=["user_id", "item_id"], update=["value", "updated_at"],
                changed_if="value")  # fmt: skip
    written.created, written.updated = len(new), len(changed)
    written.unchanged = len(kept) - len(new) - len(changed)
    item_stats_refresh(item_ids={row[1] for row in new + changed})
    return written


def _insert_new(rows: list[tuple]) -> None:
    try:
        with transaction.atomic():
            insert_rows(Rating, _COLUMNS, rows)  # the fast path: nearly every row of an import is new
    except IntegrityError:
        # A concurrent writer stored some of these pairs since the lookup (the people and items
        # are locked, so nothing else is missing): upsert them instead.
        upsert_rows(Rating, _COLUMNS, rows, unique=["user_id", "item_id"], update=["value", "updated_at"],
                    changed_if="value")  # fmt: skip
