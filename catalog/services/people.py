"""Forgetting people (account deletion, a partner deleting one of its users) and a partner's catalog."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction

from catalog.models import Interaction, Item, Rating
from catalog.services.counters import item_stats_refresh

_CHUNK = 1_000


class PersonGone(PermissionDenied):
    """The person was deleted while one of their own writes waited: nothing was written."""


def person_lock(*, user) -> None:
    """Hold `user`'s row until the transaction ends, or raise PersonGone.

    A single write as a person (a rating, an event) takes this first. It does not
    block other writes or ingestion batches (FOR NO KEY UPDATE conflicts only with
    an update or a deletion of the person), but it waits for an account deletion in
    progress and then finds the person gone, instead of failing at commit on a
    foreign key; a deletion that comes later waits for the write.
    """
    User = get_user_model()
    if User.objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk", flat=True).first() is None:
        raise PersonGone("This account no longer exists.")


@transaction.atomic
def people_forget(*, user_ids: Iterable[int]) -> int:
    """Delete these people with their ratings, events, client mappings and profile; returns how many.

    Each person's row is locked FOR UPDATE first. That waits for any ingestion
    batch writing as them (it holds the row FOR KEY SHARE until it commits) and
    makes later batches wait and then find them gone, so every rating and
    event is deleted here, and the counters of the items they had rated are
    refreshed in the same transaction: nothing of theirs counts afterwards.
    """
    User = get_user_model()
    ordered = sorted(set(user_ids))
    forgotten = 0
    for start in range(0, len(ordered), _CHUNK):
        people = User.objects.filter(pk__in=ordered[start : start + _CHUNK])
        ids = list(people.order_by("pk").select_for_update().values_list("pk", flat=True))
        if not ids:
            continue
        rated = set(Rating.objects.filter(user_id__in=ids).values_list("item_id", flat=True))
        Rating.objects.filter(user_id__in=ids).delete()
        Interaction.objects.filter(user_id__in=ids).delete()
        User.objects.filter(pk__in=ids).delete()  # cascades to the client mapping and the profile
        item_stats_refresh(item_ids=rated)
        forgotten += len(ids)
    return forgotten


def person_forget(*, user) -> bool:
    """Delete one person and everything they did; False if they were already gone."""
    return people_forget(user_ids=[user.pk]) == 1


@transaction.atomic
def items_delete(*, source: str) -> int:
    """Delete every item from `source` (a partner's own catalog) with their ratings and events."""
    if not source:
        raise ValueError("items_delete needs a source: the shared catalog has none")
    return Item.objects.filter(source=source).delete()[0]
