"""Writes to the catalog: ratings, interactions and derived counters."""

from django.db.models import Avg, Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from catalog.models import Item, Rating


def item_stats_refresh(*, item_ids=None) -> int:
    """Recompute rating_count and rating_avg (for browse sorting) in one UPDATE."""
    ratings = Rating.objects.filter(item=OuterRef("pk")).order_by().values("item")
    items = Item.objects.all() if item_ids is None else Item.objects.filter(pk__in=item_ids)
    return items.update(
        rating_count=Coalesce(Subquery(ratings.annotate(n=Count("pk")).values("n")), 0),
        rating_avg=Subquery(ratings.annotate(a=Avg("value")).values("a")),
    )
