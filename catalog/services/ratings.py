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
from catalog.services.people import person_lock, same_workspace_pairs
from catalog.services.rows import pairs_lookup, present_locked, upsert_rows
from core.workspaces import workspace_data_changed

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
    person_lock(user=user, workspace_id=item.workspace_id)
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
    person_lock(user=user, workspace_id=item.workspace_id)
    old = Rating.objects.select_for_update().filter(user=user, item=item).values_list("value", flat=True).first()
    if old is None:
        return False
    Rating.objects.filter(user=user, item=item).delete()
    item_stats_adjust(item_id=item.pk, count=-1, total=-old)
    return True


@transaction.atomic
def ratings_delete(*, rating_ids: Iterable[int]) -> int:
    """Remove these ratings (staff removing abuse); the counters of their items are refreshed."""
    ratings = Rating.objects.filter(pk__in=list(rating_ids))
    items = set(ratings.values_list("item_id", flat=True))
    deleted = ratings.delete()[0]
    item_stats_refresh(item_ids=items)
    return deleted


@dataclass
class RatingsWritten:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Rows naming a person or item deleted before the batch could lock it: not written.
    missing_users: set[int] = field(default_factory=set)
    missing_items: set[int] = field(default_factory=set)
    # (user_id, item_id) of rows whose person and item are of different workspaces: not written.
    other_workspace: set[tuple[int, int]] = field(default_factory=set)


@transaction.atomic
def ratings_upsert_bulk(*, rows: Iterable[RatingRow]) -> RatingsWritten:
    """Many rating_upserts at once, in order: the same end state, set-based.

    The counters of the items whose ratings changed are refreshed in one
    statement before commit.
    """
    by_pair = _by_pair(rows)
    written = RatingsWritten()
    if not by_pair:
        return written
    user_ids, item_ids = {user_id for user_id, _ in by_pair}, {item_id for _, item_id in by_pair}
    users, items = present_locked(get_user_model(), user_ids), present_locked(Item, item_ids)
    written.missing_users, written.missing_items = user_ids - users, item_ids - items
    if written.missing_users or written.missing_items:
        by_pair = {pair: seq for pair, seq in by_pair.items() if pair[0] in users and pair[1] in items}
    allowed, workspaces = same_workspace_pairs(by_pair)
    if len(allowed) < len(by_pair):
        written.other_workspace = set(by_pair) - allowed
        by_pair = {pair: seq for pair, seq in by_pair.items() if pair in allowed}
    for workspace_id in workspaces:
        workspace_data_changed(workspace_id)
    new, changed = _plan(by_pair, pairs_lookup(Rating, ("user_id", "item_id"), "value", by_pair))
    _insert_new(new)
    _upsert(changed)
    written.created, written.updated = len(new), len(changed)
    written.unchanged = len(by_pair) - len(new) - len(changed)
    item_stats_refresh(item_ids={row[1] for row in new + changed})
    return written


def _by_pair(rows: Iterable[RatingRow]) -> dict[tuple[int, int], list[tuple[float, datetime]]]:
    by_pair: dict[tuple[int, int], list[tuple[float, datetime]]] = {}
    for user_id, item_id, value, at in rows:
        if value not in _VALID:
            raise InvalidRating(f"a rating must be 0.5 to 5.0 in half steps, got {value}")
        seq = by_pair.get((user_id, item_id))
        if seq is None:
            by_pair[user_id, item_id] = [(value, at)]
        else:
            seq.append((value, at))
    return by_pair


def _plan(by_pair: dict, stored: dict) -> tuple[list[tuple], list[tuple]]:
    """The rows to insert and the stored ratings to change, as table rows."""
    new, changed = [], []
    # Sorted, so two batches touching the same ratings lock them in the same order.
    for (user_id, item_id), seq in sorted(by_pair.items()):
        old = stored.get((user_id, item_id))
        if old is None and len(seq) == 1:  # the common case, without the replay
            new.append((user_id, item_id, seq[0][0], seq[0][1], seq[0][1]))
            continue
        value, created, updated = _replay(old, seq)
        if old is None:
            new.append((user_id, item_id, value, created, updated))
        elif updated is not None:
            changed.append((user_id, item_id, value, updated, updated))
    return new, changed


def _replay(old: float | None, seq: list[tuple[float, datetime]]):
    """(value, created_at, updated_at) after rating_upsert of each (value, at) in turn; updated_at is
    None when a stored rating ends untouched (every row repeated its value)."""
    if old is None:
        (value, created), seq = seq[0], seq[1:]
        updated = created
    else:
        value, created, updated = old, None, None
    for new_value, at in seq:
        if new_value != value:
            value, updated = new_value, at
    return value, created, updated


def _upsert(rows: list[tuple]) -> None:
    upsert_rows(Rating, _COLUMNS, rows, unique=["user_id", "item_id"], update=["value", "updated_at"],
                changed_if=["value", "updated_at"])  # fmt: skip


def _insert_new(rows: list[tuple]) -> None:
    try:
        with transaction.atomic():
            insert_rows(Rating, _COLUMNS, rows)  # the fast path: nearly every row of an import is new
    except IntegrityError:
        # A concurrent writer stored some of these pairs since the lookup (the people and items
        # are locked, so nothing else is missing): upsert them instead.
        _upsert(rows)
