"""Reads scoped to one client's workspace: every API query goes through these, so no view can forget the scope."""

from django.db.models import Q
from rest_framework.exceptions import NotFound

from api.models import ApiClient, ClientUser
from catalog.models import Item
from catalog.params import whole_number
from core.workspaces import default_workspace_id

MAX_PK = 2**63 - 1  # bigint: larger ids cannot exist and would overflow the database driver


def items_visible_q(*, client: ApiClient | None) -> Q:
    """The items of the client's workspace; the website (client None) sees the `default` workspace's."""
    return Q(workspace_id=default_workspace_id() if client is None else client.workspace_id)


def items_visible(*, client: ApiClient | None):
    return Item.objects.active().filter(items_visible_q(client=client))


def item_visible_get(*, client: ApiClient | None, pk) -> Item:
    pk = parse_pk(pk)
    item = items_visible(client=client).filter(pk=pk).first() if pk else None
    if item is None:
        raise NotFound("No such item.")
    return item


def client_user_get(*, client: ApiClient, external_id: str):
    """The person behind a partner's user id in the client's workspace; 404 for anyone else's."""
    if not text_is_clean(external_id) or len(external_id) > ClientUser._meta.get_field("external_id").max_length:
        raise NotFound("No such user.")
    identity = (
        ClientUser.objects.select_related("user")
        .filter(workspace_id=client.workspace_id, external_id=external_id)
        .first()
    )
    if identity is None:
        raise NotFound("No such user.")
    return identity.user


def parse_pk(value) -> int | None:
    pk = whole_number(value)
    return pk if pk is not None and 0 < pk <= MAX_PK else None


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text (PostgreSQL refuses NUL and lone surrogates), or None."""
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text"
    return None


def text_is_clean(value: str) -> bool:
    return text_problem(value) is None
