import pytest

from catalog.services import rating_upsert
from core.models import Workspace
from core.workspaces import default_workspace_id, workspace_data_changed, workspace_data_read
from tests.factories import ItemFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


def _changed(workspace) -> bool:
    return Workspace.objects.get(pk=workspace.pk).data_changed_at is not None


def test_a_write_marks_its_workspace_changed_when_it_commits_and_only_then(django_capture_on_commit_callbacks):
    acme, other = WorkspaceFactory(slug="acme"), WorkspaceFactory(slug="other")
    with django_capture_on_commit_callbacks() as pending:
        workspace_data_changed(acme.pk)
        assert not _changed(acme)  # a run starting now cannot see the write, so nothing is marked yet
    for callback in pending:
        callback()
    assert _changed(acme) and not _changed(other)


def test_the_first_mark_after_a_run_stays_and_a_run_clears_it(django_capture_on_commit_callbacks):
    acme = WorkspaceFactory(slug="acme")
    with django_capture_on_commit_callbacks(execute=True):
        workspace_data_changed(acme.pk)
    first = Workspace.objects.get(pk=acme.pk).data_changed_at
    with django_capture_on_commit_callbacks(execute=True):
        workspace_data_changed(acme.pk)
    assert Workspace.objects.get(pk=acme.pk).data_changed_at == first
    workspace_data_read(acme.pk)
    assert not _changed(acme)


def test_a_website_rating_marks_the_default_workspace(django_capture_on_commit_callbacks):
    Workspace.objects.update(data_changed_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        rating_upsert(user=UserFactory(), item=ItemFactory(), value=4.0)
    assert Workspace.objects.filter(data_changed_at__isnull=False).get().pk == default_workspace_id()
