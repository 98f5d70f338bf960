"""Attribution: an action on an item within ENCORE_ATTRIBUTION_HOURS of a list that showed it is credited
to that list (an `Engagement`, with the item's position).

Two ways in:

- by id: the website's cards and a partner's events may name the list (`recommendation_id`).
  `engagements_note` keeps such actions as PendingEngagement rows (the list may still sit in a web
  process's write buffer); they are credited to that list when it shows the item to that person
  and the action falls within the window;
- by window: every other click, play, like, favourite, purchase, share, view and rating of 4 or
  more is credited to the person's latest list that showed the item within the window before it.

`attribute_pending()` does both, for everything new since its last pass (a cursor over the event
and rating tables), in bounded batches; a beat task runs it every minute and a report runs it
first. An action is credited once per list and kind.
"""

import logging
import uuid
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from catalog.models import Interaction, Rating
from experiments.models import AttributionCursor, Engagement, Impression, PendingEngagement

log = logging.getLogger(__name__)
BATCH = 5_000  # actions read per step of a pass
PENDING_GRACE = timedelta(minutes=10)  # how long an action naming a list not written yet waits for it
LIKED_RATING = 4.0
ATTRIBUTED_EVENTS = ("view", "play", "like", "favorite", "purchase", "share")


def window() -> timedelta:
    return timedelta(hours=settings.ENCORE_ATTRIBUTION_HOURS)


def engagements_note(rows) -> int:
    """Keep actions that name their list: rows of (user_id, item_id, kind, at, recommendation_id).

    kind: an Engagement kind (a rating below 4 or a negative event is not an engagement: skipped).
    A recommendation_id that is not a UUID is ignored. Returns how many were kept.
    """
    pending = []
    for user_id, item_id, kind, at, recommendation_id in rows:
        if kind not in Engagement.Kind.values or not recommendation_id:
            continue
        try:
            rec = uuid.UUID(str(recommendation_id))
        except ValueError:
            continue
        pending.append(PendingEngagement(user_id=user_id, item_id=item_id, kind=kind, recommendation_id=rec,
                                         at=at or timezone.now()))  # fmt: skip
    PendingEngagement.objects.bulk_create(pending)
    return len(pending)


def attribute_pending(*, now=None) -> int:
    """Credit every action since the last pass; returns how many engagements were stored."""
    now = now or timezone.now()
    stored = _by_id(now)
    stored += _by_window(now)
    return stored


# --- By id -------------------------------------------------------------------------------------------


def _by_id(now) -> int:
    stored = 0
    while True:
        with transaction.atomic():
            batch = list(PendingEngagement.objects.select_for_update(skip_locked=True).order_by("pk")[:BATCH])
            if not batch:
                return stored
            lists = Impression.objects.in_bulk({p.recommendation_id for p in batch})
            credited, done = [], []
            for pending in batch:
                shown = lists.get(pending.recommendation_id)
                if shown is None and now - pending.at < PENDING_GRACE:
                    continue  # its list may still be in a buffer
                done.append(pending.pk)
                engagement = _credit(shown, pending.user_id, pending.item_id, pending.kind, pending.at)
                if engagement is not None:
                    credited.append(engagement)
            Engagement.objects.bulk_create(credited, ignore_conflicts=True)
            PendingEngagement.objects.filter(pk__in=done).delete()
            stored += len(credited)
            if len(done) < len(batch):
                return stored  # the rest waits for its lists


def _credit(shown: Impression | None, user_id: int, item_id: int, kind: str, at) -> Engagement | None:
    """The engagement crediting `shown` with this action, if the list showed the item to that person
    within the window before it."""
    # A list shown to nobody in particular (similar items, trending) is credited by whoever acts on it.
    if shown is None or shown.user_id not in (None, user_id) or item_id not in shown.items:
        return None
    if not (shown.shown_at <= at + timedelta(seconds=5) and at - shown.shown_at <= window()):
        return None
    return Engagement(impression_id=shown.pk, user_id=user_id, item_id=item_id, kind=kind,
                      position=shown.items.index(item_id) + 1, at=at)  # fmt: skip


def _already_credited(by_user, earliest, latest) -> dict:
    """(user, item, kind) -> when an action of theirs was credited or waits to be, in the time range."""
    done = defaultdict(list)
    users = list(by_user)
    credited = Engagement.objects.filter(user_id__in=users, at__gte=earliest, at__lte=latest)
    waiting = PendingEngagement.objects.filter(user_id__in=users)
    for query in (credited, waiting):
        for user_id, item_id, kind, at in query.values_list("user_id", "item_id", "kind", "at"):
            done[user_id, item_id, kind].append(at)
    return done


# --- By window -----------------------------------------------------------------------------------------


def _by_window(now) -> int:
    with transaction.atomic():
        cursor, _ = AttributionCursor.objects.select_for_update().get_or_create(name="actions")
        if cursor.at is None:
            # The first pass starts now: history from before lists were recorded credits nothing.
            cursor.position = Interaction.objects.aggregate(last=models.Max("pk"))["last"] or 0
            cursor.at = now
            cursor.save()
            return 0
        events = list(
            Interaction.objects.filter(pk__gt=cursor.position, kind__in=ATTRIBUTED_EVENTS)
            .order_by("pk")
            .values_list("pk", "user_id", "item_id", "kind", "created_at")[:BATCH]
        )
        ratings = list(
            Rating.objects.filter(updated_at__gt=cursor.at, updated_at__lte=now, value__gte=LIKED_RATING)
            .order_by("updated_at")
            .values_list("user_id", "item_id", "updated_at")[:BATCH]
        )
        actions = [(u, i, k, at) for _, u, i, k, at in events] + [(u, i, "rating", at) for u, i, at in ratings]
        stored = _match(actions)
        if events:
            cursor.position = events[-1][0]
        if ratings and len(ratings) == BATCH:
            cursor.at = ratings[-1][2]
        else:
            cursor.at = now
        # Events past the batch wait for the next pass (every minute) or the next call.
        cursor.save()
        return stored


def _match(actions) -> int:
    """Credit each (user, item, kind, at) to the person's latest list that showed the item within the
    window before it, unless that list already has it for that kind."""
    if not actions:
        return 0
    by_user = defaultdict(list)
    for action in actions:
        by_user[action[0]].append(action)
    earliest = min(a[3] for a in actions) - window()
    latest = max(a[3] for a in actions) + timedelta(seconds=5)
    shown = defaultdict(list)
    lists = Impression.objects.filter(user_id__in=list(by_user), shown_at__gte=earliest, shown_at__lte=latest)
    for row in lists.order_by("shown_at").only("id", "user_id", "items", "shown_at"):
        shown[row.user_id].append(row)
    done = _already_credited(by_user, earliest, latest)
    span = window()
    credited = []
    for user_id, acts in by_user.items():
        for _, item_id, kind, at in acts:
            if any(abs(at - when) <= span for when in done[user_id, item_id, kind]):
                continue  # credited by id (or waiting to be), or already credited for a moment ago
            for candidate in reversed(shown[user_id]):
                engagement = _credit(candidate, user_id, item_id, kind, at)
                if engagement is not None:
                    credited.append(engagement)
                    done[user_id, item_id, kind].append(at)
                    break
    Engagement.objects.bulk_create(credited, ignore_conflicts=True)
    return len(credited)
