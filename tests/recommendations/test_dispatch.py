"""Scheduled training: one dispatcher queues a run for each workspace whose data changed, within its period."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.services import rating_upsert
from core.models import Workspace
from recommendations.models import ModelVersion
from recommendations.tasks import dispatch_training, train_model
from recommendations.training import pipeline, train_model_version
from recommendations.training.dispatch import workspaces_due_for_training
from tests.factories import ItemFactory, RatingFactory, WorkspaceFactory
from tests.queues import queued_messages
from tests.recommendations.builders import build_tenant_catalog, people_of

pytestmark = pytest.mark.django_db
HOUR = timezone.timedelta(hours=1)


def tenant(slug: str, *, changed=True, rated=True, started_ago=None, status="ready", retrain_minutes=None):
    """A workspace with (or without) a rating, whose data changed (or not), and whose last version started
    `started_ago` (none: never trained)."""
    workspace = WorkspaceFactory(slug=slug, retrain_minutes=retrain_minutes)
    if rated:
        RatingFactory(user=people_of(workspace, f"{slug}-person")[0], item=ItemFactory(workspace=workspace))
    Workspace.objects.filter(pk=workspace.pk).update(data_changed_at=timezone.now() if changed else None)
    if started_ago is not None:
        version = ModelVersion.objects.create(workspace=workspace, algorithm="hybrid", status=status)
        ModelVersion.objects.filter(pk=version.pk).update(created_at=timezone.now() - started_ago)
    return workspace.pk


def due() -> list[int]:
    return [pk for pk, _ in workspaces_due_for_training()]


def test_only_workspaces_whose_data_changed_and_whose_period_passed_are_due(db, settings):
    settings.ENCORE_RETRAIN_MINUTES = 60
    never_trained = tenant("never-trained")
    period_passed = tenant("period-passed", started_ago=2 * HOUR, status="active")
    own_short_period = tenant("short-period", started_ago=HOUR / 4, status="active", retrain_minutes=10)
    tenant("trained-recently", started_ago=HOUR / 12, status="active")
    tenant("unchanged", changed=False, started_ago=2 * HOUR, status="active")
    tenant("training-now", started_ago=2 * HOUR, status="training")
    tenant("empty", changed=False, rated=False)

    assert due() == [never_trained, period_passed, own_short_period]


def test_a_workspace_with_data_and_nothing_serving_is_due_even_unchanged(db):
    all_failed = tenant("all-failed", changed=False, started_ago=2 * HOUR, status="failed")
    migrated = tenant("migrated", changed=False)
    tenant("failed-recently", changed=False, started_ago=HOUR / 12, status="failed")  # not every minute

    assert due() == [all_failed, migrated]


def test_the_dispatcher_reads_every_workspace_in_one_query(db):
    for n in range(30):
        tenant(f"t{n}", changed=n % 2 == 0, started_ago=2 * HOUR if n % 3 else None, status="active")

    with CaptureQueriesContext(connection) as queries:
        found = workspaces_due_for_training()

    assert len(queries) == 1 and len(found) == 20


def test_the_dispatcher_queues_one_run_per_due_workspace_and_no_copy_while_it_waits(db, memory_broker):
    due_one = tenant("due")
    tenant("unchanged", changed=False, started_ago=2 * HOUR, status="active")

    assert dispatch_training.apply().get() == [due_one]
    messages = queued_messages()
    assert [m["task"] for m in messages] == ["recommendations.train_model"]
    assert f"'workspace_id': {due_one}" in messages[0]["kwargs"] and "'schedule'" in messages[0]["kwargs"]

    assert dispatch_training.apply().get() == []  # its run is queued, not started yet
    assert queued_messages() == []


def test_a_scheduled_run_with_nothing_new_to_learn_stops_at_once(tiny_catalog, media_root):
    first = train_model_version()
    default = first.workspace_id

    assert train_model.apply(kwargs={"workspace_id": default}).get() is None
    assert ModelVersion.objects.count() == 1

    Workspace.objects.filter(pk=default).update(data_changed_at=timezone.now())
    assert train_model.apply(kwargs={"workspace_id": default}).get() is not None
    assert ModelVersion.objects.count() == 2


def test_a_run_clears_the_mark_and_a_write_during_it_sets_it_again(
    db, media_root, monkeypatch, django_capture_on_commit_callbacks
):
    workspace = WorkspaceFactory(slug="busy")
    catalog = build_tenant_catalog(workspace, prefix="Busy")
    Workspace.objects.filter(pk=workspace.pk).update(data_changed_at=timezone.now())
    fit_here = pipeline.fit_here

    def fit_while_someone_rates(*args, **kwargs):
        assert Workspace.objects.get(pk=workspace.pk).data_changed_at is None  # cleared before the data was read
        rating_upsert(user=catalog.fans[0], item=catalog.romance[3], value=1.0)
        return fit_here(*args, **kwargs)

    monkeypatch.setattr(pipeline, "fit_here", fit_while_someone_rates)
    with django_capture_on_commit_callbacks(execute=True):  # the rating commits while the run goes on
        train_model_version(workspace_id=workspace.pk)

    assert Workspace.objects.get(pk=workspace.pk).data_changed_at is not None
    monkeypatch.setattr(pipeline, "fit_here", fit_here)
    train_model_version(workspace_id=workspace.pk)
    assert Workspace.objects.get(pk=workspace.pk).data_changed_at is None


def test_the_train_task_trains_the_workspace_it_is_given(db, media_root):
    workspace = WorkspaceFactory(slug="given")
    build_tenant_catalog(workspace, prefix="Given")

    version_id = train_model.apply(kwargs={"trigger": "manual", "workspace_id": workspace.pk}).get()

    version = ModelVersion.objects.get(pk=version_id)
    assert version.workspace == workspace and version.status == ModelVersion.Status.ACTIVE
    assert version.config["watermark"]["ratings"] == version.n_interactions
