"""Looking up workspaces: the one place that knows which workspace is the website's.

The website is the front end of the `default` workspace; API clients name theirs by
their key. Everything else takes a workspace explicitly.
"""

import re
import threading
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import process_caches
from core.models import DEFAULT_NAME, DEFAULT_SLUG, Workspace

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")


class WorkspaceNotFound(Exception):
    def __init__(self, slug: str):
        self.slug = slug
        known = ", ".join(Workspace.objects.order_by("slug").values_list("slug", flat=True)[:20])
        super().__init__(f'no workspace "{slug}" (there are: {known or "none"}); create it with create_workspace')


class _DefaultId:
    """The pk of `default`: it never changes once made, so one look-up per process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pk: int | None = None

    def get(self) -> int:
        if self._pk is None:
            with self._lock:
                if self._pk is None:
                    # Made by the first migration; made again if a database was emptied since.
                    workspace, _ = Workspace.objects.get_or_create(slug=DEFAULT_SLUG, defaults={"name": DEFAULT_NAME})
                    self._pk = workspace.pk
        return self._pk

    def clear(self) -> None:
        self._pk = None


_default_id = _DefaultId()
process_caches.register("the default workspace's id", clear=_default_id.clear)


def default_workspace_id() -> int:
    """The website's workspace."""
    return _default_id.get()


def default_workspace() -> Workspace:
    return Workspace.objects.get(pk=default_workspace_id())


def workspace_get(slug: str) -> Workspace:
    """The workspace called `slug`, or WorkspaceNotFound naming the ones there are."""
    found = Workspace.objects.filter(slug=slug).first()
    if found is None:
        raise WorkspaceNotFound(slug)
    return found


def workspace_create(*, slug: str, name: str = "") -> Workspace:
    """A new, empty workspace. Its settings and quotas are the platform's until changed."""
    slug = slug.strip().lower()
    if not SLUG_PATTERN.match(slug):
        raise ValidationError(
            f'"{slug}" is not a workspace slug: use 1-50 lowercase letters, digits and hyphens, '
            "starting and ending with a letter or digit."
        )
    with transaction.atomic():
        if Workspace.objects.filter(slug=slug).exists():
            raise ValidationError(f'a workspace "{slug}" already exists.')
        return Workspace.objects.create(slug=slug, name=name.strip() or slug)


def person_workspace_id(user_id: int) -> int | None:
    """The workspace of a person (None for an account that is no one's person, which cannot happen
    for accounts made through the services)."""
    from accounts.models import Profile

    return Profile.objects.filter(user_id=user_id).values_list("workspace_id", flat=True).first()


def workspace_data_changed(workspace_id: int) -> None:
    """Note, once the writing transaction commits, that the workspace's data changed since its last
    training run read it.

    After the commit, not inside the write: a run that starts while the write is still open
    neither sees it nor would see a mark set by it before it cleared the flag. Only the first
    write after a run changes the row (later ones match nothing), so writers do not queue behind
    one another on the workspace's row.
    """
    transaction.on_commit(partial(_data_changed_mark, workspace_id))


def _data_changed_mark(workspace_id: int) -> None:
    Workspace.objects.filter(pk=workspace_id, data_changed_at__isnull=True).update(data_changed_at=timezone.now())


def workspace_data_read(workspace_id: int) -> None:
    """A training run is about to read the workspace's data: writes from now on mark it changed again."""
    Workspace.objects.filter(pk=workspace_id).update(data_changed_at=None)
