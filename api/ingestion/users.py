"""Partners' users become Encore users on first sight, a whole batch at a time."""

import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction

from api.models import ApiClient, ClientUser


def client_username(*, client: ApiClient, external_id: str) -> str:
    # Deterministic, so concurrent batches converge on one account; the colons
    # are refused by the website's sign-up form, so nobody can claim the name first.
    return f"api:{client.pk}:{hashlib.sha256(external_id.encode()).hexdigest()[:40]}"


def client_users_ensure(*, client: ApiClient, external_ids: set[str]) -> dict[str, int]:
    """Map each partner user id to an Encore user id, creating the missing users in bulk."""
    mapping = dict(
        ClientUser.objects.filter(client=client, external_id__in=external_ids).values_list("external_id", "user_id")
    )
    missing = external_ids - mapping.keys()
    if not missing:
        return mapping
    User = get_user_model()
    usernames = {client_username(client=client, external_id=ext): ext for ext in missing}
    with transaction.atomic():
        User.objects.bulk_create(
            [User(username=name, password=UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)) for name in usernames],
            ignore_conflicts=True,
            batch_size=1000,
        )
        user_ids = dict(User.objects.filter(username__in=usernames).values_list("username", "pk"))
        ClientUser.objects.bulk_create(
            [ClientUser(client=client, external_id=usernames[name], user_id=pk) for name, pk in user_ids.items()],
            ignore_conflicts=True,
            batch_size=1000,
        )
    mapping.update(
        ClientUser.objects.filter(client=client, external_id__in=missing).values_list("external_id", "user_id")
    )
    return mapping
