"""Old impressions become daily stats: each UTC day older than ENCORE_IMPRESSION_RETENTION_DAYS is summed
per workspace, experiment, variant and placement into `DailyStats`, then its raw impressions (and their
engagements) are deleted, in one transaction per day. Running it twice changes nothing more.

Attribution credits actions up to ENCORE_ATTRIBUTION_HOURS after a list, so the retention (at least two
days) leaves every day complete before it is summed.
"""

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from experiments.models import DailyStats, Engagement, Impression


def impressions_roll_up(*, now: datetime | None = None) -> int:
    """Sum and delete every day of raw impressions past the retention period; returns the days done."""
    now = now or timezone.now()
    cutoff = datetime.combine(
        (now - timedelta(days=settings.ENCORE_IMPRESSION_RETENTION_DAYS)).date(), time.min, tzinfo=UTC
    )
    days = 0
    while True:
        oldest = Impression.objects.filter(shown_at__lt=cutoff).order_by("shown_at").values_list("shown_at", flat=True)
        first = oldest.first()
        if first is None:
            return days
        start = datetime.combine(first.astimezone(UTC).date(), time.min, tzinfo=UTC)
        _roll_up_day(start, min(start + timedelta(days=1), cutoff))
        days += 1


@transaction.atomic
def _roll_up_day(start: datetime, end: datetime) -> None:
    shown = Impression.objects.filter(shown_at__gte=start, shown_at__lt=end)
    stats: dict[tuple, DailyStats] = {}
    people: dict[tuple, set] = defaultdict(set)
    for workspace, experiment, variant, placement, user, items in shown.values_list(
        "workspace_id", "experiment_id", "variant", "placement", "user_id", "items"
    ).iterator(chunk_size=2000):
        key = (workspace, experiment, variant, placement)
        row = stats.get(key)
        if row is None:
            row = stats[key] = DailyStats(workspace_id=workspace, day=start.date(), experiment_id=experiment,
                                          variant=variant, placement=placement)  # fmt: skip
        row.lists += 1
        row.impressions += len(items)
        if user is not None:
            people[key].add(user)
    engaged = (
        Engagement.objects.filter(impression__shown_at__gte=start, impression__shown_at__lt=end)
        .values("impression__workspace_id", "impression__experiment_id", "impression__variant",
                "impression__placement")
        .annotate(clicks=Count("pk"), lists=Count("impression_id", distinct=True),
                  conversions=Count("pk", filter=Q(kind__in=Engagement.CONVERSIONS)))
    )  # fmt: skip
    for found in engaged:
        key = (found["impression__workspace_id"], found["impression__experiment_id"], found["impression__variant"],
               found["impression__placement"])  # fmt: skip
        if key in stats:
            stats[key].clicks, stats[key].clicked_lists = found["clicks"], found["lists"]
            stats[key].conversions = found["conversions"]
    for key, row in stats.items():
        row.people = len(people[key])
    DailyStats.objects.filter(day=start.date(), workspace_id__in={k[0] for k in stats}).delete()
    DailyStats.objects.bulk_create(stats.values())
    shown.delete()
