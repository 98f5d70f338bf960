"""The figures of the admin's dashboard for one workspace over a period of UTC days.

Queries only: each function reads one workspace's rows for the period with a few grouped
queries and returns one value per day (days without rows are zeros, never missing), ready to
chart. The page is `experiments.dashboard_views`.

- activity: events (interactions, plus ratings by the day they were last set) and active people.
- lists_served: lists shown and clicked lists per day per variant, hence CTR; raw impressions
  where the day still has them, the rolled-up DailyStats for older days.
- catalog_coverage: the share of the visible catalog shown per day (raw impressions only).
- model_versions: every model version trained in the period, with its offline nDCG@10 and time.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, OuterRef, Sum
from django.db.models.functions import TruncDate, TruncDay

from catalog.models import Interaction, Item, Rating
from experiments.models import CONTROL, DailyStats, Impression
from recommendations.models import ModelVersion

UTC = datetime.UTC
DEFAULT_DAYS = 30
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    """UTC days from `first` to `last`, both included."""

    first: datetime.date
    last: datetime.date

    def __post_init__(self):
        if self.last < self.first:
            raise ValueError("a period ends on or after its first day")
        if len(self) > MAX_DAYS:
            raise ValueError(f"a period spans at most {MAX_DAYS} days")

    def __len__(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def days(self) -> list[datetime.date]:
        return [self.first + datetime.timedelta(days=n) for n in range(len(self))]

    @property
    def since(self) -> datetime.datetime:
        """The period's first instant (midnight UTC of its first day)."""
        return datetime.datetime.combine(self.first, datetime.time(), tzinfo=UTC)

    @property
    def until(self) -> datetime.datetime:
        """The instant just after the period (midnight UTC after its last day)."""
        return datetime.datetime.combine(self.last + datetime.timedelta(days=1), datetime.time(), tzinfo=UTC)

    @classmethod
    def ending(cls, last: datetime.date | None = None, *, days: int = DEFAULT_DAYS) -> "Period":
        """The `days` days up to `last` (today, UTC, by default)."""
        last = last or datetime.datetime.now(UTC).date()
        return cls(last - datetime.timedelta(days=days - 1), last)


def _per_day(queryset, field_name: str):
    """`queryset` grouped by the UTC day of `field_name` (a datetime), as `day`."""
    return queryset.annotate(day=TruncDate(field_name, tzinfo=UTC)).values("day").order_by()


# --- Events and people -------------------------------------------------------------------------


@dataclass
class Activity:
    """Per day of the period: interactions, ratings, their sum (events), and people with either."""

    days: list[datetime.date]
    interactions: list[int]
    ratings: list[int]
    events: list[int]
    people: list[int]


def activity(workspace_id: int, period: Period) -> Activity:
    """Events and active people per day of the workspace's items.

    Three grouped queries: interactions per day (count and distinct people), ratings per day
    (by `updated_at`: a changed rating counts on the day it changed) and the people who rated and
    had an event on one day, so that people = with an event + with a rating - with both.
    """
    events = Interaction.objects.filter(
        item__workspace_id=workspace_id, created_at__gte=period.since, created_at__lt=period.until
    )
    ratings = Rating.objects.filter(
        item__workspace_id=workspace_id, updated_at__gte=period.since, updated_at__lt=period.until
    )
    by_events = {
        row["day"]: row
        for row in _per_day(events, "created_at").annotate(n=Count("pk"), people=Count("user_id", distinct=True))
    }
    by_ratings = {
        row["day"]: row
        for row in _per_day(ratings, "updated_at").annotate(n=Count("pk"), people=Count("user_id", distinct=True))
    }
    # The raters of each day who also had an event that day: each rating probes the person's events
    # of its day through the (user, created_at) index.
    midnight = ExpressionWrapper(OuterRef("midnight"), output_field=DateTimeField())
    acted_that_day = Interaction.objects.filter(
        user_id=OuterRef("user_id"),
        item__workspace_id=workspace_id,
        created_at__gte=midnight,
        created_at__lt=midnight + datetime.timedelta(days=1),
    )
    both = dict(
        _per_day(ratings.annotate(midnight=TruncDay("updated_at", tzinfo=UTC)), "updated_at")
        .filter(Exists(acted_that_day))
        .annotate(people=Count("user_id", distinct=True))
        .values_list("day", "people")
    )
    days = period.days
    interactions = [by_events[d]["n"] if d in by_events else 0 for d in days]
    rating_counts = [by_ratings[d]["n"] if d in by_ratings else 0 for d in days]
    people = [
        (by_events[d]["people"] if d in by_events else 0)
        + (by_ratings[d]["people"] if d in by_ratings else 0)
        - both.get(d, 0)
        for d in days
    ]
    return Activity(
        days=days,
        interactions=interactions,
        ratings=rating_counts,
        events=[a + b for a, b in zip(interactions, rating_counts, strict=True)],
        people=people,
    )


# --- Lists, clicks and CTR per variant -----------------------------------------------------------


@dataclass
class ListsServed:
    """Per variant and per day of the period: lists shown and lists with at least one click.

    `rolled_up` are the days read from DailyStats (their raw impressions were pruned).
    """

    days: list[datetime.date]
    variants: list[str] = field(default_factory=list)
    lists: dict[str, list[int]] = field(default_factory=dict)
    clicked: dict[str, list[int]] = field(default_factory=dict)
    rolled_up: list[datetime.date] = field(default_factory=list)

    def ctr(self, variant: str) -> list[float | None]:
        """Clicked lists / lists per day; None on days the variant served no list."""
        return [c / n if n else None for n, c in zip(self.lists[variant], self.clicked[variant], strict=True)]


def _variant_order(name: str) -> tuple[bool, str]:
    return (name != CONTROL, name)


def lists_served(workspace_id: int, period: Period) -> ListsServed:
    """Lists served and clicked per day per variant (a variant is named alike across experiments).

    One grouped query over the raw impressions (joined to their engagements to count clicked
    lists) and one over DailyStats, used only for days that have no raw impression left.
    """
    raw = (
        _per_day(
            Impression.objects.filter(workspace_id=workspace_id, shown_at__gte=period.since, shown_at__lt=period.until),
            "shown_at",
        )
        .values("day", "variant")
        .annotate(n=Count("pk", distinct=True), clicked=Count("engagements__impression", distinct=True))
    )
    counts: dict[tuple[datetime.date, str], tuple[int, int]] = {
        (row["day"], row["variant"]): (row["n"], row["clicked"]) for row in raw
    }
    raw_days = {day for day, _ in counts}
    rolled = (
        DailyStats.objects.filter(workspace_id=workspace_id, day__gte=period.first, day__lte=period.last)
        .exclude(day__in=raw_days)
        .values("day", "variant")
        .order_by()
        .annotate(n=Sum("lists"), clicked=Sum("clicked_lists"))
    )
    rolled_days = set()
    for row in rolled:
        counts[(row["day"], row["variant"])] = (row["n"] or 0, row["clicked"] or 0)
        rolled_days.add(row["day"])

    days = period.days
    result = ListsServed(days=days, rolled_up=sorted(rolled_days))
    result.variants = sorted({variant for _, variant in counts}, key=_variant_order)
    for variant in result.variants:
        result.lists[variant] = [counts.get((d, variant), (0, 0))[0] for d in days]
        result.clicked[variant] = [counts.get((d, variant), (0, 0))[1] for d in days]
    return result


# --- Catalog coverage ----------------------------------------------------------------------------


@dataclass
class Coverage:
    """Per day of the period: distinct items shown, and their share of the visible catalog.

    Days in `rolled_up` have None: only totals were kept for them, not which items were shown.
    """

    days: list[datetime.date]
    visible: int
    shown: list[int | None]
    share: list[float | None]
    rolled_up: list[datetime.date]


def catalog_coverage(workspace_id: int, period: Period, *, rolled_up: list[datetime.date] = ()) -> Coverage:
    """Distinct items shown per day / the workspace's visible (active) items today.

    Impressions keep their items as a JSON list, so this reads the `items` of every raw
    impression of the period once, in chunks, and keeps one set of item ids per day: the cost
    grows with the lists served in the period (times their length) and its memory with the
    distinct items per day. The period bounds it (at most MAX_DAYS days, and raw impressions
    exist only for the retention period). Pass the days `lists_served` read from DailyStats as
    `rolled_up`: they have no coverage.
    """
    shown: dict[datetime.date, set[int]] = defaultdict(set)
    rows = Impression.objects.filter(
        workspace_id=workspace_id, shown_at__gte=period.since, shown_at__lt=period.until
    ).values_list("shown_at", "items")
    for shown_at, items in rows.iterator(chunk_size=2000):
        shown[shown_at.astimezone(UTC).date()].update(items)
    visible = Item.objects.of(workspace_id).active().count()
    unknown = set(rolled_up) - set(shown)
    counts = [None if d in unknown else len(shown.get(d, ())) for d in period.days]
    return Coverage(
        days=period.days,
        visible=visible,
        shown=counts,
        share=[None if n is None else (n / visible if visible else 0.0) for n in counts],
        rolled_up=sorted(unknown),
    )


# --- Model versions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionPoint:
    """One model version: when it was created, its offline nDCG@10 and its training time."""

    pk: int
    created_at: datetime.datetime
    algorithm: str
    status: str
    ndcg: float | None
    seconds: float


def model_versions(workspace_id: int, period: Period) -> list[VersionPoint]:
    """Every model version of the workspace created in the period, oldest first (one query)."""
    versions = (
        ModelVersion.objects.filter(
            workspace_id=workspace_id, created_at__gte=period.since, created_at__lt=period.until
        )
        .order_by("created_at", "pk")
        .only("pk", "created_at", "algorithm", "status", "metrics", "timings")
    )
    return [
        VersionPoint(
            pk=v.pk,
            created_at=v.created_at,
            algorithm=v.algorithm,
            status=v.status,
            ndcg=v.ndcg,
            seconds=v.total_seconds,
        )
        for v in versions
    ]
