"""Forgetting people (account deletion, a partner deleting one of its users) and a partner's catalog."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import Profile
from catalog.models import Interaction, Item, Rating
from catalog.services.counters import item_stats_refresh
from core.workspaces import workspace_data_changed

_CHUNK = 1_000


class PersonGone(PermissionDenied):
    """The person was deleted while one of their own writes waited: nothing was written."""


class OtherWorkspace(PermissionDenied):
    """A person may only rate or act on the items of their own workspace: nothing was written."""


def person_lock(*, user, workspace_id: int) -> None:
    """Hold `user`'s row until the transaction ends, or raise PersonGone.

    A single write as a person (a rating, an event) takes this first. It does not
    block other writes or ingestion batches (FOR NO KEY UPDATE conflicts only with
    an update or a deletion of the person), but it waits for an account deletion in
    progress and then finds the person gone, instead of failing at commit on a
    foreign key; a deletion that comes later waits for the write.

    workspace_id: the workspace of the item written about; a person of another
    workspace raises OtherWorkspace.
    """
    User = get_user_model()
    locked = User.objects.select_for_update(no_key=True, of=("self",)).filter(pk=user.pk)
    found = locked.values_list("pk", "profile__workspace_id").first()
    if found is None:
        raise PersonGone("This account no longer exists.")
    if found[1] != workspace_id:
        raise OtherWorkspace("This item belongs to another workspace than this person.")
    workspace_data_changed(workspace_id)


def same_workspace_pairs(pairs: Iterable[tuple[int, int]]) -> tuple[set[tuple[int, int]], set[int]]:
    """The (user_id, item_id) pairs whose person and item are of one workspace (bulk writes keep only
    those), and the workspaces they are of."""
    pairs = set(pairs)
    if not pairs:
        return set(), set()
    people = dict(Profile.objects.filter(user_id__in={u for u, _ in pairs}).values_list("user_id", "workspace_id"))
    items = dict(Item.objects.filter(pk__in={i for _, i in pairs}).values_list("pk", "workspace_id"))
    allowed = {(u, i) for u, i in pairs if people.get(u) is not None and people.get(u) == items.get(i)}
    return allowed, {items[i] for _, i in allowed}


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
        for workspace_id in set(Profile.objects.filter(user_id__in=ids).values_list("workspace_id", flat=True)):
            workspace_data_changed(workspace_id)
        Rating.objects.filter(user_id__in=ids).delete()
        Interaction.objects.filter(user_id__in=ids).delete()
        User.objects.filter(pk__in=ids).delete()  # cascades to the client mapping and the profile
        item_stats_refresh(item_ids=rated)
        forgotten += len(ids)
    return forgotten


def person_forget(*, user) -> bool:
    """Delete one person and everything they did; False if they were already gone."""
    return people_forget(user_ids=[user.pk]) == 1
