"""Writes to the catalog: ratings, interactions and derived counters.

Website views and API endpoints both call these, so a rating or an event means
the same thing wherever it comes from.
"""

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import RATING_VALUES, Interaction, Item, Rating


class InvalidRating(ValueError):
    pass


def rating_validate(value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise InvalidRating(f"a rating must be a number from 0.5 to 5.0, got {value!r}") from None
    if value not in RATING_VALUES:
        raise InvalidRating(f"a rating must be 0.5 to 5.0 in half steps, got {value}")
    return value


@transaction.atomic
def rating_upsert(*, user, item: Item, value, at=None) -> Rating:
    """Create or update the user's one rating of `item`."""
    value, at = rating_validate(value), at or timezone.now()
    rating, created = Rating.objects.select_for_update().get_or_create(
        user=user, item=item, defaults={"value": value, "created_at": at, "updated_at": at}
    )
    if not created and rating.value != value:
        rating.value, rating.updated_at = value, at
        rating.save(update_fields=["value", "updated_at"])
    return rating


def rating_delete(*, user, item: Item) -> bool:
    return Rating.objects.filter(user=user, item=item).delete()[0] > 0


def interaction_record(
    *, user, item: Item, kind: str, value: float | None = None, at=None, idempotency_key: str | None = None
) -> tuple[Interaction, bool]:
    """Append an event; returns (event, created). A repeated idempotency key returns the first event."""
    if kind not in Interaction.Kind.values:
        raise ValueError(f"unknown event kind {kind!r}; expected one of {', '.join(Interaction.Kind.values)}")
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
    return Interaction.objects.filter(user=user, item=item, kind__in=kinds).delete()[0]


def item_stats_refresh(*, item_ids=None) -> int:
    """Recompute rating_count and rating_avg (for browse sorting) in one UPDATE."""
    ratings = Rating.objects.filter(item=OuterRef("pk")).order_by().values("item")
    items = Item.objects.all() if item_ids is None else Item.objects.filter(pk__in=item_ids)
    return items.update(
        rating_count=Coalesce(Subquery(ratings.annotate(n=Count("pk")).values("n")), 0),
        rating_avg=Subquery(ratings.annotate(a=Avg("value")).values("a")),
    )
