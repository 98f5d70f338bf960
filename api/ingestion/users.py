"""Partners' users become people of the client's workspace on first sight, a whole batch at a time."""

import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction

from accounts.models import Profile
from api.models import ApiClient, ClientUser
from core.models import Workspace
from core.quotas import room_for


def client_username(*, workspace_id: int, external_id: str) -> str:
    # Deterministic, so concurrent batches converge on one account; the colons
    # are refused by the website's sign-up form, so nobody can claim the name first.
    return f"api:w{workspace_id}:{hashlib.sha256(external_id.encode()).hexdigest()[:40]}"


def client_users_ensure(*, client: ApiClient, external_ids: set[str], ordered: list[str] = ()) -> dict[str, int]:
    """Map each partner user id to a person of the client's workspace, creating the missing ones in bulk.

    People beyond the workspace's quota are not created (and not in the answer); `ordered`
    says who comes first when only some fit.
    """
    workspace_id = client.workspace_id
    known = ClientUser.objects.filter(workspace_id=workspace_id, external_id__in=external_ids)
    mapping = dict(known.values_list("external_id", "user_id"))
    missing = external_ids - mapping.keys()
    if not missing:
        return mapping
    User = get_user_model()
    with transaction.atomic():
        # One creation at a time per workspace, so two batches cannot both take the quota's last room.
        workspace = Workspace.objects.select_for_update().get(pk=workspace_id)
        room = room_for(workspace, "people", Profile.objects.filter(workspace=workspace).count())
        first = [ext for ext in dict.fromkeys(ordered) if ext in missing] + sorted(missing - set(ordered))
        usernames = {client_username(workspace_id=workspace_id, external_id=ext): ext for ext in first[:room]}
        if usernames:
            User.objects.bulk_create(
                [
                    User(username=name, password=UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30))
                    for name in usernames
                ],
                ignore_conflicts=True,
                batch_size=1000,
            )
            user_ids = dict(User.objects.filter(username__in=usernames).values_list("username", "pk"))
            Profile.objects.bulk_create(
                [Profile(user_id=pk, workspace_id=workspace_id) for pk in user_ids.values()],
                ignore_conflicts=True,
                batch_size=1000,
            )
            ClientUser.objects.bulk_create(
                [ClientUser(workspace_id=workspace_id, client=client, external_id=usernames[name], user_id=pk)
                 for name, pk in user_ids.items()],
                ignore_conflicts=True,
                batch_size=1000,
            )  # fmt: skip
    mapping.update(
        ClientUser.objects.filter(workspace_id=workspace_id, external_id__in=missing).values_list(
            "external_id", "user_id"
        )
    )
    return mapping
