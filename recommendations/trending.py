"""Trending: popularity with exponential time decay, stored for fast reads.

Decay is measured from the newest event in the data rather than from the
clock, so a catalog whose activity stopped (like a historical dataset) still
shows what was rising at its end instead of an empty row.
"""

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import Interaction, Item, Rating
from recommendations.models import TrendingScore

KEEP = 500  # items stored; rows show at most a few dozen


def decayed_scores(items: np.ndarray, ages_days: np.ndarray, weights: np.ndarray, half_life_days: float):
    """Sum weight * 0.5 ** (age / half-life) per item. Returns (unique items, scores)."""
    unique, inverse = np.unique(items, return_inverse=True)
    scores = np.bincount(inverse, weights=weights * np.exp2(-ages_days / half_life_days), minlength=len(unique))
    return unique, scores


def trending_refresh(*, half_life_days: float | None = None, window_days: float = 120) -> int:
    """Recompute trending scores from ratings (>= 3 stars) and positive events of the recent window."""
    half_life = half_life_days or settings.ENCORE_TRENDING_HALF_LIFE_DAYS
    latest = max(
        filter(None, [Rating.objects.order_by("-updated_at").values_list("updated_at", flat=True).first(),
                      Interaction.objects.order_by("-created_at").values_list("created_at", flat=True).first()]),
        default=None,
    )  # fmt: skip
    if latest is None:
        TrendingScore.objects.all().delete()
        return 0
    since = latest - timezone.timedelta(days=window_days)
    rows = list(Rating.objects.filter(updated_at__gte=since, value__gte=3.0).values_list("item_id", "updated_at"))
    positive = set(Interaction.Kind.values) - Interaction.NEGATIVE_KINDS
    rows += Interaction.objects.filter(created_at__gte=since, kind__in=positive).values_list("item_id", "created_at")
    items = np.array([r[0] for r in rows], dtype=np.int64)
    ages = np.array([(latest - r[1]).total_seconds() / 86400 for r in rows], dtype=np.float64)
    unique, scores = decayed_scores(items, ages, np.ones(len(rows)), half_life)
    top = np.argsort(-scores, kind="stable")[:KEEP]
    now = timezone.now()
    with transaction.atomic():
        TrendingScore.objects.all().delete()
        TrendingScore.objects.bulk_create(
            [TrendingScore(item_id=int(unique[i]), score=float(scores[i]), computed_at=now) for i in top]
        )
    return len(top)


def trending_items(*, limit: int = 20, kind: str | None = None, exclude_pks=(), items=None) -> list[Item]:
    """The trending items that are visible now; the most popular when nothing was computed yet.

    items: the queryset they are read from (default: every visible item).
    """
    queryset = (Item.objects.active() if items is None else items).exclude(pk__in=exclude_pks)
    if kind:
        queryset = queryset.filter(kind=kind)
    trending = list(queryset.filter(trending__isnull=False).order_by("-trending__score", "pk")[:limit])
    if trending:
        return trending
    return list(queryset.filter(rating_count__gt=0).order_by("-rating_count", "pk")[:limit])
