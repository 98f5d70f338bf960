"""Event ingestion: validate in plain Python, resolve ids with a few set queries, write in bulk.

Serializer-per-row validation and per-row saves would cap a batch at a few
hundred events a second; this path keeps 10,000 events well under a second.
Every bad row is reported with its index and every good row is kept. The
writes themselves are catalog.services' bulk forms, which keep the items'
rating counters true in the same transaction.
"""

import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from api.ingestion.users import client_users_ensure
from api.models import ApiClient
from api.selectors import MAX_PK, items_visible, text_problem
from api.serializers import EVENT_KINDS
from catalog.models import API_ITEM_SOURCE, RATING_VALUES, Item
from catalog.services import EventsRecorded, RatingsWritten, interactions_record_bulk, ratings_upsert_bulk
from core.models import Workspace
from core.quotas import events_count, events_sent_today, quota_message, refuse_if_only_quotas, room_for
from experiments.attribution import LIKED_RATING, engagements_note
from experiments.models import Engagement

KINDS = frozenset(EVENT_KINDS)
RATINGS = frozenset(RATING_VALUES)
FUTURE_TOLERANCE = timedelta(days=1)  # clocks of partners' servers drift; events from tomorrow are bugs


@dataclass(slots=True)
class EventRow:
    index: int
    user: str
    item: int | str
    kind: str
    value: float | None
    at: datetime
    key: str | None
    recommendation: str | None = None
    user_id: int = 0
    item_id: int = 0


@dataclass
class EventReport:
    accepted: int = 0
    duplicates: int = 0
    errors: list[dict] = field(default_factory=list)

    def reject(self, index: int, errors: dict) -> None:
        self.errors.append({"index": index, "errors": errors})


def events_ingest(*, client: ApiClient, rows: list) -> EventReport:
    report, now = EventReport(), timezone.now()
    valid = []
    for index, raw in enumerate(rows):
        row, errors = event_validate(index, raw, now=now)
        if errors:
            report.reject(index, errors)
        else:
            valid.append(row)
    valid = _resolve_items(client, valid, report)
    workspace = Workspace.objects.get(pk=client.workspace_id)
    valid = _within_daily_quota(workspace, valid, report)
    users = client_users_ensure(
        client=client, external_ids={row.user for row in valid}, ordered=[row.user for row in valid]
    )
    kept = []
    for row in valid:
        if row.user not in users:
            report.reject(row.index, {"user": [quota_message(workspace, "people")]})
            continue
        row.user_id = users[row.user]
        kept.append(row)
    valid = kept
    ratings = [(r.user_id, r.item_id, r.value, r.at) for r in valid if r.kind == "rating"]
    events = [(r.user_id, r.item_id, r.kind, r.value, r.at, r.key) for r in valid if r.kind != "rating"]
    with transaction.atomic():
        # Events first: their people are locked before the ratings lock any item's counters, so a
        # batch never waits for a person being deleted while holding an item that deletion needs.
        recorded = interactions_record_bulk(rows=events)
        rated = ratings_upsert_bulk(rows=ratings)
    report.duplicates = recorded.duplicates
    report.accepted = len(valid) - _reject_vanished(valid, rated, recorded, report)
    events_count(workspace, report.accepted)
    _note_engagements(valid, report)
    report.errors.sort(key=lambda e: e["index"])
    if not report.accepted:
        refuse_if_only_quotas(report.errors)
    return report


def _note_engagements(rows: list[EventRow], report: EventReport) -> None:
    """Stored events that name the list they came from, for experiments.attribution."""
    rejected = {error["index"] for error in report.errors}
    engagements_note(
        (row.user_id, row.item_id, _engagement_kind(row), row.at, row.recommendation)
        for row in rows
        if row.recommendation and row.index not in rejected
    )


def _engagement_kind(row: EventRow) -> str | None:
    if row.kind == "rating":
        return Engagement.Kind.RATING if row.value >= LIKED_RATING else None
    return row.kind if row.kind in Engagement.Kind.values else None


def _within_daily_quota(workspace, rows: list[EventRow], report: EventReport) -> list[EventRow]:
    room = room_for(workspace, "events_per_day", events_sent_today(workspace))
    for row in rows[room:]:
        report.reject(row.index, {"non_field_errors": [quota_message(workspace, "events_per_day")]})
    return rows[:room]


def _reject_vanished(rows: list[EventRow], rated: RatingsWritten, recorded: EventsRecorded, report: EventReport) -> int:
    """Report the rows whose user or item was deleted while the batch was being written; returns how many."""
    users = rated.missing_users | recorded.missing_users
    items = rated.missing_items | recorded.missing_items
    crossed = rated.other_workspace | recorded.other_workspace
    if not users and not items and not crossed:
        return 0
    rejected = 0
    for row in rows:
        if (row.user_id, row.item_id) in crossed:
            report.reject(row.index, {"item": [f"No visible item {row.item!r} in this workspace."]})
        elif row.user_id in users:
            report.reject(row.index, {"user": [f"Unknown user {row.user!r}: deleted while this batch was written."]})
        elif row.item_id in items:
            report.reject(row.index, {"item": [f"Unknown item {row.item!r}: deleted while this batch was written."]})
        else:
            continue
        rejected += 1
    return rejected


def event_validate(index: int, raw, *, now: datetime) -> tuple[EventRow | None, dict]:
    if not isinstance(raw, dict):
        return None, {"non_field_errors": ["An event must be a JSON object."]}
    errors = {}
    user = raw.get("user")
    if isinstance(user, int) and not isinstance(user, bool):
        user = str(user)
    if not isinstance(user, str) or not 1 <= len(user) <= 150:
        errors["user"] = ["Required: your id for the user, a string of 1 to 150 characters or an integer."]
    elif problem := text_problem(user):
        errors["user"] = [f"The user id {problem}."]
    item = raw.get("item")
    if isinstance(item, bool) or not isinstance(item, (int, str)):
        errors["item"] = ["Required: an Encore item id (integer) or your external_id (string)."]
    elif isinstance(item, int) and not 1 <= item <= MAX_PK:
        errors["item"] = ["An Encore item id is a positive integer."]
    elif isinstance(item, str) and (not 1 <= len(item) <= 100 or text_problem(item)):
        errors["item"] = ["An external_id is 1 to 100 characters of text."]
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        errors["kind"] = [f"Required: one of {', '.join(EVENT_KINDS)}."]
    value = raw.get("value")
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if value is not None and (not is_number or not math.isfinite(value)):
        errors["value"] = ["A number, or null."]
        value = None
    elif kind == "rating" and value not in RATINGS:
        errors["value"] = ["A rating needs a value from 0.5 to 5.0 in half steps."]
    at, errors_at = _timestamp(raw.get("timestamp"), now)
    if errors_at:
        errors["timestamp"] = errors_at
    key = raw.get("idempotency_key")
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 100 or text_problem(key)):
        errors["idempotency_key"] = ["A string of 1 to 100 characters, or null."]
    recommendation = raw.get("recommendation_id")
    if recommendation is not None and not _is_uuid(recommendation):
        errors["recommendation_id"] = ["The recommendation_id a list came with (a UUID), or null."]
    if errors:
        return None, errors
    value = None if value is None else float(value)
    return EventRow(index, user, item, kind, value, at, key, recommendation), {}


def _is_uuid(value) -> bool:
    if not isinstance(value, str) or len(value) > 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _timestamp(raw, now: datetime) -> tuple[datetime, list[str]]:
    if raw is None:
        return now, []
    if not isinstance(raw, str) or text_problem(raw):
        return now, ["An ISO 8601 date and time, e.g. 2026-01-31T20:15:00Z."]
    try:
        at = parse_datetime(raw)
    except ValueError:
        at = None
    if at is None:
        return now, ["An ISO 8601 date and time, e.g. 2026-01-31T20:15:00Z."]
    if timezone.is_naive(at):
        at = at.replace(tzinfo=UTC)
    try:
        at = at.astimezone(UTC)
    except OverflowError:
        return now, ["The date is out of range."]
    if at > now + FUTURE_TOLERANCE:
        return now, ["The timestamp is in the future."]
    return at, []


def _resolve_items(client: ApiClient, rows: list[EventRow], report: EventReport) -> list[EventRow]:
    """Set item_id on each row; rows naming an item outside the client's workspace are rejected."""
    pks = {row.item for row in rows if isinstance(row.item, int)}
    external = {row.item for row in rows if isinstance(row.item, str)}
    by_pk = {}
    if pks:
        by_pk = {pk: pk for pk in items_visible(client=client).filter(pk__in=pks).values_list("pk", flat=True)}
    by_external = {}
    if external:
        own = Item.objects.active().filter(
            workspace_id=client.workspace_id, source=API_ITEM_SOURCE, source_id__in=external
        )
        by_external = dict(own.values_list("source_id", "pk"))
    kept = []
    for row in rows:
        item_id = by_pk.get(row.item) if isinstance(row.item, int) else by_external.get(row.item)
        if item_id is None:
            report.reject(row.index, {"item": [f"No visible item {row.item!r} in this workspace: unknown or hidden."]})
            continue
        row.item_id = item_id
        kept.append(row)
    return kept
