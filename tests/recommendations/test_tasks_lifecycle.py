import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.schedules import periodic_tasks_ensure
from core.workspaces import default_workspace_id
from recommendations.models import ModelVersion, TrendingScore
from recommendations.schedules import default_schedules_ensure
from recommendations.tasks import refresh_trending, train_model
from recommendations.training import train_model_version
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_training_task_trains_and_activates(tiny_catalog, media_root):
    version_id = train_model.apply(kwargs={"trigger": "manual"}).get()

    version = ModelVersion.objects.get(pk=version_id)
    assert version.status == ModelVersion.Status.ACTIVE and version.trigger == "manual"
    assert version.task_id and version.worker


def test_a_redelivered_training_message_does_not_train_twice(tiny_catalog, media_root):
    first = train_model.apply(task_id="same-message").get()
    again = train_model.apply(task_id="same-message").get()

    assert first == again
    assert ModelVersion.objects.count() == 1


def test_a_training_request_while_one_runs_is_skipped(tiny_catalog, media_root):
    ModelVersion.objects.create(workspace_id=default_workspace_id(), algorithm="hybrid", heartbeat_at=timezone.now())

    assert train_model.apply().get() is None
    assert ModelVersion.objects.count() == 1


def test_refreshing_trending_twice_gives_the_same_table(tiny_catalog):
    refresh_trending.apply().get()
    first = list(TrendingScore.objects.values_list("item_id", "score"))
    refresh_trending.apply().get()

    assert first and list(TrendingScore.objects.values_list("item_id", "score")) == first


def test_default_schedules_are_created_once_and_staff_edits_are_kept():
    created = default_schedules_ensure()
    dispatch = PeriodicTask.objects.get(task="recommendations.dispatch_training")
    assert dispatch.interval.every == 1 and json.loads(dispatch.kwargs) == {}
    assert {"recommendations.refresh_trending", "recommendations.reap_training_runs"} <= set(
        PeriodicTask.objects.values_list("task", flat=True)
    )
    dispatch.enabled = False
    dispatch.save()

    assert len(created) == 3 and default_schedules_ensure() == []
    assert not PeriodicTask.objects.get(pk=dispatch.pk).enabled


def test_the_dispatcher_replaces_the_single_retraining_schedule():
    # What earlier releases scheduled: one retraining of the one model every ENCORE_RETRAIN_MINUTES.
    periodic_tasks_ensure(
        specs=[{"name": "Retrain the recommendation model", "task": "recommendations.train_model", "every": 60,
                "kwargs": {"trigger": "schedule"}}]
    )  # fmt: skip

    default_schedules_ensure()

    assert not PeriodicTask.objects.filter(task="recommendations.train_model").exists()
    assert PeriodicTask.objects.filter(task="recommendations.dispatch_training").exists()


def test_bootstrap_creates_the_schedules(capsys):
    call_command("bootstrap", "--no-demo")
    assert PeriodicTask.objects.filter(task="recommendations.dispatch_training").exists()


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def test_the_admin_lists_versions_with_metrics_and_timings(tiny_catalog, media_root, staff_client):
    version = train_model_version()

    page = staff_client.get(reverse("admin:recommendations_modelversion_changelist")).content.decode()

    assert f"{version.ndcg:.4f}" in page and "extract" in page and "Active" in page


def test_staff_activate_a_version_and_roll_back(tiny_catalog, media_root, staff_client):
    first = train_model_version()
    second = train_model_version(force=True)
    url = reverse("admin:recommendations_modelversion_changelist")

    staff_client.post(url, {"action": "activate", "_selected_action": [first.pk]})
    assert ModelVersion.objects.active().get() == first
    staff_client.post(url, {"action": "roll_back", "_selected_action": [first.pk]})
    assert ModelVersion.objects.active().get() == second
