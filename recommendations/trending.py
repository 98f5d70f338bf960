"""Trending: popularity with exponential time decay, stored for fast reads.

Decay is measured from the newest event in the data rather than from the
clock, so a catalog whose activity stopped (like a historical dataset) still
shows what was rising at its end instead of an empty row.
"""

import logging

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from catalog.models import Interaction, Item, Rating
from recommendations.models import TrendingScore
from recommendations.serving import candidates_wanted, with_rules

log = logging.getLogger(__name__)
KEEP = 500  # items stored; rows show at most a few dozen
REFRESHED_AT_KEY = "trending:refreshed-at"


def decayed_scores(items: np.ndarray, ages_days: np.ndarray, weights: np.ndarray, half_life_days: float):
    """Sum weight * 0.5 ** (age / half-life) per item. Returns (unique items, scores)."""
    unique, inverse = np.unique(items, return_inverse=True)
    scores = np.bincount(inverse, weights=weights * np.exp2(-ages_days / half_life_days), minlength=len(unique))
    return unique, scores


def trending_refresh(*, workspace, half_life_days: float | None = None, window_days: float = 120) -> int:
    """Recompute one workspace's trending scores from ratings (>= 3 stars) and positive events of the recent window."""
    half_life = half_life_days or settings.ENCORE_TRENDING_HALF_LIFE_DAYS
    ratings = Rating.objects.filter(item__workspace=workspace)
    events = Interaction.objects.filter(item__workspace=workspace)
    stored = TrendingScore.objects.filter(item__workspace=workspace)
    latest = max(
        filter(None, [ratings.order_by("-updated_at").values_list("updated_at", flat=True).first(),
                      events.order_by("-created_at").values_list("created_at", flat=True).first()]),
        default=None,
    )  # fmt: skip
    if latest is None:
        stored.delete()
        return 0
    since = latest - timezone.timedelta(days=window_days)
    rows = list(ratings.filter(updated_at__gte=since, value__gte=3.0).values_list("item_id", "updated_at"))
    positive = set(Interaction.Kind.values) - Interaction.NEGATIVE_KINDS
    rows += events.filter(created_at__gte=since, kind__in=positive).values_list("item_id", "created_at")
    items = np.array([r[0] for r in rows], dtype=np.int64)
    ages = np.array([(latest - r[1]).total_seconds() / 86400 for r in rows], dtype=np.float64)
    unique, scores = decayed_scores(items, ages, np.ones(len(rows)), half_life)
    top = np.argsort(-scores, kind="stable")[:KEEP]
    now = timezone.now()
    with transaction.atomic():
        stored.delete()
        TrendingScore.objects.bulk_create(
            [TrendingScore(item_id=int(unique[i]), score=float(scores[i]), computed_at=now) for i in top]
        )
    return len(top)


def trending_refresh_recent() -> int:
    """Refresh the trending scores of the workspaces with ratings or events since the last such refresh.

    A workspace without new activity keeps its scores: they are relative to its own latest
    activity, so they would come out the same, and thousands of quiet tenants cost nothing.
    Returns the number of scores stored.
    """
    started = timezone.now()
    stored = 0
    for workspace_id in workspaces_recently_active():
        try:
            stored += trending_refresh(workspace=workspace_id)
        except Exception:  # one workspace's failure must not keep the others' lists stale
            log.exception("refreshing the trending items of workspace %s failed", workspace_id)
    cache.set(REFRESHED_AT_KEY, started, timeout=None)
    return stored


def workspaces_recently_active() -> list[int]:
    """The workspaces with ratings or events since the last refresh of recent ones (all with any, before the first).

    That moment is remembered in the cache (else it is the newest stored score), less one refresh
    interval, so a write landing while scores were computed, or a workspace whose refresh failed,
    is picked up next time. Two indexed reads of the recent rows, whatever the number of workspaces.
    """
    last = cache.get(REFRESHED_AT_KEY) or TrendingScore.objects.aggregate(last=Max("computed_at"))["last"]
    ratings, events = Rating.objects.all(), Interaction.objects.all()
    if last is not None:
        since = last - timezone.timedelta(minutes=settings.ENCORE_TRENDING_REFRESH_MINUTES)
        ratings, events = ratings.filter(updated_at__gte=since), events.filter(created_at__gte=since)
    active = set(ratings.order_by().values_list("item__workspace_id", flat=True).distinct())
    active |= set(events.order_by().values_list("item__workspace_id", flat=True).distinct())
    return sorted(active)


def trending_items(
    *,
    workspace,
    limit: int = 20,
    kind: str | None = None,
    exclude_pks=(),
    items=None,
    placement: str = "",
    user=None,
    diversity: float | None = None,
) -> list[Item]:
    """The workspace's trending items that are visible now; the most popular when nothing was computed yet.

    items: the queryset they are read from (default: every visible item), always narrowed to the workspace.
    placement: the list's placement, whose rules shape it for `user`; none by default (the website's
    rows apply theirs to candidates everyone shares, see recommendations.feed). diversity: see serving.with_rules.
    """
    if not placement and diversity is None:
        return _trending(workspace=workspace, limit=limit, kind=kind, exclude_pks=exclude_pks, items=items)
    wanted = candidates_wanted(workspace=workspace, placement=placement, limit=limit, diversity=diversity)
    found = _trending(workspace=workspace, limit=wanted, kind=kind, exclude_pks=exclude_pks, items=items)
    queryset = (Item.objects.active() if items is None else items).filter(**({"kind": kind} if kind else {}))
    placed = with_rules(
        found, -np.arange(len(found), dtype=np.float64), workspace=workspace, placement=placement, user=user,
        limit=limit, queryset=queryset, diversity=diversity,
    )  # fmt: skip
    return found[:limit] if placed is None else [p.item for p in placed]


def _trending(*, workspace, limit: int, kind: str | None, exclude_pks, items) -> list[Item]:
    queryset = (Item.objects.active() if items is None else items).of(workspace).exclude(pk__in=exclude_pks)
    if kind:
        queryset = queryset.filter(kind=kind)
    trending = list(queryset.filter(trending__isnull=False).order_by("-trending__score", "pk")[:limit])
    if trending:
        return trending
    return list(queryset.filter(rating_count__gt=0).order_by("-rating_count", "pk")[:limit])
