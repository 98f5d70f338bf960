"""Quotas per workspace: how many items, people and genres it may hold, and events it may send a day.

They bound what a workspace's API clients write (staff imports are not limited).
A batch that would go over a limit keeps the rows that fit, in order, and
rejects the rest by position with a message naming the limit; `QuotaExceeded`
(HTTP 403, code `quota_exceeded`) is for a request of which nothing fits.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.utils import timezone

from core.models import Workspace, WorkspaceDailyUsage

QUOTA_REACHED = "Quota reached"


class QuotaExceeded(PermissionDenied):
    """Nothing of a request fits the workspace's quota; the message names the limit (the API answers 403)."""


SETTING_OF = {
    "items": "max_items",
    "people": "max_people",
    "genres": "max_genres",
    "events_per_day": "max_events_per_day",
}


def quota_message(workspace: Workspace, name: str) -> str:
    limit = workspace.quota(name)
    what = name.replace("_", " ")
    if name == "events_per_day":
        return (
            f'{QUOTA_REACHED}: workspace "{workspace.slug}" accepts at most {limit:,} ratings and events per UTC day '
            f"({SETTING_OF[name]}); the rest of today's are refused."
        )
    return f'{QUOTA_REACHED}: workspace "{workspace.slug}" may hold at most {limit:,} {what} ({SETTING_OF[name]}).'


def refuse_if_only_quotas(errors: list[dict]) -> None:
    """Raise QuotaExceeded with the first message when every rejected row of a request (`errors`, in
    the API's per-row shape) was refused by a quota; do nothing otherwise."""
    messages = [m for error in errors for field in error["errors"].values() for m in field]
    if messages and all(m.startswith(QUOTA_REACHED) for m in messages):
        raise QuotaExceeded(messages[0])


def room_for(workspace: Workspace, name: str, used: int) -> int:
    """How many more of `name` fit, given `used` now."""
    return max(0, workspace.quota(name) - used)


def events_sent_today(workspace: Workspace) -> int:
    row = WorkspaceDailyUsage.objects.filter(workspace=workspace, day=_today()).values_list("events", flat=True)
    return row.first() or 0


def events_count(workspace: Workspace, n: int) -> None:
    """Add n accepted ratings and events to today's count (one statement; concurrent batches add up)."""
    if n <= 0:
        return
    day = _today()
    updated = WorkspaceDailyUsage.objects.filter(workspace=workspace, day=day).update(events=F("events") + n)
    if not updated:
        usage, created = WorkspaceDailyUsage.objects.get_or_create(workspace=workspace, day=day, defaults={"events": n})
        if not created:
            WorkspaceDailyUsage.objects.filter(pk=usage.pk).update(events=F("events") + n)


def usage(workspace: Workspace) -> dict[str, tuple[int, int]]:
    """(used, limit) per quota, for the admin's workspace page and the API."""
    from accounts.models import Profile
    from catalog.models import Genre, Item

    return {
        "items": (Item.objects.filter(workspace=workspace).count(), workspace.quota("items")),
        "people": (Profile.objects.filter(workspace=workspace).count(), workspace.quota("people")),
        "genres": (Genre.objects.filter(workspace=workspace).count(), workspace.quota("genres")),
        "events_per_day": (events_sent_today(workspace), workspace.quota("events_per_day")),
    }


def _today():
    return timezone.now().date()
