"""Writes for accounts: onboarding, data export and deletion."""

from django.db import transaction
from django.utils import timezone

from accounts.models import Profile
from catalog.models import Interaction, Item
from catalog.services import interaction_record, person_forget
from core.workspaces import default_workspace_id

EXPORT_FORMAT = 1


def profile_for(*, user) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user, defaults={"workspace_id": default_workspace_id()})
    return profile


@transaction.atomic
def person_add(*, user, workspace) -> None:
    """Save a new account as a person of `workspace` (staff adding someone in the admin).

    Saving gives every account its profile in the website's workspace (accounts.signals); it moves
    to `workspace` in the same transaction, before the person has any history anywhere.
    """
    if user.pk is not None:
        raise ValueError("person_add makes new accounts; a person's workspace never changes")
    user.save()
    Profile.objects.filter(user=user).update(workspace=workspace)


@transaction.atomic
def onboarding_complete(*, user, item_ids) -> int:
    """Record a `like` for each chosen title and mark onboarding done.

    Likes, not invented five-star ratings: the member told us "I like this",
    not how many stars; their ratings list and export then show only what
    they really rated, and the engine weighs a like as the positive signal it is.
    """
    items = Item.objects.active().website().filter(pk__in=item_ids)
    already = set(
        Interaction.objects.filter(user=user, item__in=items, kind=Interaction.Kind.LIKE).values_list(
            "item_id", flat=True
        )
    )
    created = 0
    for item in items:
        if item.pk not in already:
            interaction_record(user=user, item=item, kind=Interaction.Kind.LIKE)
            created += 1
    profile = profile_for(user=user)
    profile.onboarded_at, profile.onboarding_skipped = timezone.now(), False
    profile.save(update_fields=["onboarded_at", "onboarding_skipped"])
    return created


def onboarding_skip(*, user) -> None:
    profile = profile_for(user=user)
    profile.onboarded_at, profile.onboarding_skipped = timezone.now(), True
    profile.save(update_fields=["onboarded_at", "onboarding_skipped"])


def _when(value):
    return value.isoformat() if value else None


def account_export(*, user) -> dict:
    """Everything Encore keeps about the member, readable and complete."""
    profile = Profile.objects.filter(user=user).first()
    ratings = user.ratings.select_related("item").order_by("created_at", "pk")
    events = user.interactions.select_related("item").order_by("created_at", "pk")
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "account": {
            "username": user.username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
            "onboarded_at": _when(profile.onboarded_at) if profile else None,
            "onboarding_skipped": profile.onboarding_skipped if profile else False,
        },
        "ratings": [
            {
                "item_id": r.item_id, "title": r.item.title, "year": r.item.year, "value": r.value,
                "created_at": _when(r.created_at), "updated_at": _when(r.updated_at),
            }
            for r in ratings
        ],
        "interactions": [
            {
                "item_id": e.item_id, "title": e.item.title, "year": e.item.year, "kind": e.kind,
                "value": e.value, "created_at": _when(e.created_at),
            }
            for e in events
        ],
    }  # fmt: skip


def account_delete(*, user) -> None:
    """Delete the member with their ratings, events and profile; their ratings stop counting at once.

    Serving reads history from the database on every request and training
    reads it in bulk, so nothing of theirs is served from now on and the next
    model version is trained without it.
    """
    person_forget(user=user)
