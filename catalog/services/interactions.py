"""Interactions: append-only events (view, play, like…), in single and bulk forms."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.bulk import insert_rows
from catalog.models import Interaction, Item
from catalog.services.people import person_lock, same_workspace_pairs
from catalog.services.rows import pairs_lookup, present_locked
from core.workspaces import workspace_data_changed

_KINDS = frozenset(Interaction.Kind.values)
_COLUMNS = ["user_id", "item_id", "kind", "value", "created_at", "idempotency_key"]

# (user_id, item_id, kind, value, at, idempotency_key): plain tuples, no model instance per row.
EventRow = tuple[int, int, str, float | None, datetime, str | None]


def _kind_check(kind: str) -> None:
    if kind not in _KINDS:
        raise ValueError(f"unknown event kind {kind!r}; expected one of {', '.join(Interaction.Kind.values)}")


@transaction.atomic
def interaction_record(
    *, user, item: Item, kind: str, value: float | None = None, at=None, idempotency_key: str | None = None
) -> tuple[Interaction, bool]:
    """Append an event; returns (event, created). A repeated idempotency key returns the first event."""
    _kind_check(kind)
    person_lock(user=user, workspace_id=item.workspace_id)
    if idempotency_key:
        existing = Interaction.objects.filter(user=user, idempotency_key=idempotency_key).first()
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            event = Interaction.objects.create(
                user=user, item=item, kind=kind, value=value, created_at=at or timezone.now(),
                idempotency_key=idempotency_key or None,
            )  # fmt: skip
    except IntegrityError:
        # A concurrent retry with the same key won the race.
        return Interaction.objects.get(user=user, idempotency_key=idempotency_key), False
    return event, True


def interactions_undo(*, user, item: Item, kinds) -> int:
    """Remove the user's events of these kinds on `item` (e.g. undo "not interested")."""
    removed = Interaction.objects.filter(user=user, item=item, kind__in=kinds).delete()[0]
    if removed:
        workspace_data_changed(item.workspace_id)
    return removed


def interactions_delete(*, event_ids: Iterable[int]) -> int:
    """Remove these events (staff removing abuse)."""
    return Interaction.objects.filter(pk__in=list(event_ids)).delete()[0]


@transaction.atomic
def opinion_set(*, user, item: Item, kind: str) -> None:
    """Like, dislike or "not interested", once: opposite opinions cancel each other."""
    opposite = ["dislike", "not_interested"] if kind == Interaction.Kind.LIKE else [Interaction.Kind.LIKE]
    interactions_undo(user=user, item=item, kinds=opposite)
    if not Interaction.objects.filter(user=user, item=item, kind=kind).exists():
        interaction_record(user=user, item=item, kind=kind)


@dataclass
class EventsRecorded:
    created: int = 0
    duplicates: int = 0
    # Rows naming a person or item deleted before the batch could lock it: not written.
    missing_users: set[int] = field(default_factory=set)
    missing_items: set[int] = field(default_factory=set)
    # (user_id, item_id) of rows whose person and item are of different workspaces: not written.
    other_workspace: set[tuple[int, int]] = field(default_factory=set)


@transaction.atomic
def interactions_record_bulk(*, rows: Iterable[EventRow]) -> EventsRecorded:
    """Many interaction_records at once: events whose idempotency key is already stored
    (or repeated within the batch) are counted as duplicates, the rest appended."""
    rows = list(rows)
    for row in rows:
        _kind_check(row[2])
    recorded = EventsRecorded()
    if not rows:
        return recorded
    users = present_locked(get_user_model(), {row[0] for row in rows})
    items = present_locked(Item, {row[1] for row in rows})
    recorded.missing_users = {row[0] for row in rows} - users
    recorded.missing_items = {row[1] for row in rows} - items
    rows = [row for row in rows if row[0] in users and row[1] in items]
    allowed, workspaces = same_workspace_pairs((row[0], row[1]) for row in rows)
    recorded.other_workspace = {(row[0], row[1]) for row in rows} - allowed
    if recorded.other_workspace:
        rows = [row for row in rows if (row[0], row[1]) in allowed]
    for workspace_id in workspaces:
        workspace_data_changed(workspace_id)
    for _attempt in range(3):
        fresh = _without_stored_keys(rows)
        try:
            with transaction.atomic():
                insert_rows(Interaction, _COLUMNS, fresh)
        except IntegrityError:
            # A concurrent retry stored some of these keys between our check and the insert: check again.
            continue
        recorded.created, recorded.duplicates = len(fresh), len(rows) - len(fresh)
        return recorded
    raise IntegrityError("idempotency keys kept conflicting with concurrent requests")


def _without_stored_keys(rows: list[EventRow]) -> list[EventRow]:
    keyed = {(row[0], row[5]) for row in rows if row[5]}
    if not keyed:
        return rows
    stored = set(pairs_lookup(Interaction, ("user_id", "idempotency_key"), "idempotency_key", keyed,
                              condition="t.idempotency_key IS NOT NULL"))  # fmt: skip
    fresh = []
    for row in rows:
        if row[5]:
            if (row[0], row[5]) in stored:
                continue
            stored.add((row[0], row[5]))
        fresh.append(row)
    return fresh
