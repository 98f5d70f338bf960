"""Item.rating_count and rating_avg, kept true in the transaction that changes the ratings.

Single writes adjust them incrementally; bulk writes and deletions refresh the
items they touched in one statement. Either way the item rows are locked
(FOR NO KEY UPDATE, in primary-key order) only after the ratings are written,
the same order everywhere, so writers queue on an item instead of deadlocking,
and a refresh counts every rating committed before it took the lock.
"""

from collections.abc import Iterable

from django.db import connection
from django.db.models import Avg, Case, Count, F, FloatField, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Floor

from catalog.models import Item, Rating


def items_lock(*, item_ids: Iterable[int]) -> list[int]:
    """Lock these items' counters until commit; returns the ids that exist."""
    ordered = sorted(set(item_ids))
    if not ordered:
        return []
    locked = Item.objects.filter(pk__in=ordered).order_by("pk").select_for_update(no_key=True)
    return list(locked.values_list("pk", flat=True))


def item_stats_refresh(*, item_ids: Iterable[int] | None = None) -> int:
    """Recompute rating_count and rating_avg from the ratings, in one UPDATE.

    With `item_ids`, those items are locked first, so a single write running
    at the same time either is counted here or adjusts the result afterwards.
    Without, every item is recomputed (fixtures and one-off repairs).
    """
    if item_ids is None:
        items = Item.objects.all()
    else:
        ids = items_lock(item_ids=item_ids)
        if not ids:
            return 0
        if connection.vendor == "postgresql":
            return _refresh_postgresql(ids)
        items = Item.objects.filter(pk__in=ids)
    ratings = Rating.objects.filter(item=OuterRef("pk")).order_by().values("item")
    return items.update(
        rating_count=Coalesce(Subquery(ratings.annotate(n=Count("pk")).values("n")), 0),
        rating_avg=Subquery(ratings.annotate(a=Avg("value")).values("a")),
    )


def _refresh_postgresql(ids: list[int]) -> int:
    """The same UPDATE as one join over the items' ratings, in index order: two correlated
    subqueries per item cost several times more on a batch of thousands of items."""
    item, rating = (connection.ops.quote_name(model._meta.db_table) for model in (Item, Rating))
    pk_type = Item._meta.pk.db_type(connection)
    with connection.cursor() as cursor:
        # Names come from model metadata; the ids are one array parameter.
        cursor.execute(
            f"UPDATE {item} AS i SET rating_count = s.n, rating_avg = s.a FROM ("  # noqa: S608
            f"SELECT p.id, count(r.item_id) AS n, avg(r.value) AS a FROM unnest(%s::{pk_type}[]) AS p(id) "
            f"LEFT JOIN {rating} AS r ON r.item_id = p.id GROUP BY p.id) AS s WHERE i.id = s.id",
            [ids],
        )
        return cursor.rowcount


def item_stats_adjust(*, item_id: int, count: int, total: float) -> None:
    """Add `count` ratings summing to `total` (negative to remove) to one item's counters.

    Ratings are half steps, so count * avg is within rounding of a multiple of
    0.5: rounding it back gives the exact sum, and the new average is exactly
    what AVG() over the ratings returns, however many adjustments came before.
    """
    n = F("rating_count")
    # 2.0, not 2: SQLite's FLOOR returns an integer, and integer division would drop the half.
    exact_sum = Floor(Coalesce(F("rating_avg"), 0.0) * n * 2 + 0.5) / Value(2.0)
    # An item left without ratings has no average (not a division by zero).
    emptied = Q(rating_count__lte=-count)
    Item.objects.filter(pk=item_id).update(
        rating_count=Case(When(emptied, then=Value(0)), default=n + count, output_field=IntegerField()),
        rating_avg=Case(
            When(emptied, then=Value(None)), default=(exact_sum + total) / (n + count), output_field=FloatField()
        ),
    )
