"""Asking for training when the queue cannot run it: the answer comes at once and says why."""

import time

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from config.celery import app
from recommendations.models import ModelVersion
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_train_wait_without_a_worker_fails_within_seconds_and_says_how_to_start_one(db):
    started = time.monotonic()

    with pytest.raises(CommandError) as error:
        call_command("train", "--wait", "--timeout", "8")

    assert time.monotonic() - started < 8
    message = str(error.value)
    assert "No Celery worker is running" in message
    assert "make run" in message and "celery -A config worker" in message and "--inline" in message


def test_the_admin_retrain_action_reports_the_broker_error_within_seconds(db, client, broker_unreachable):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:recommendations_modelversion_changelist")
    started = time.monotonic()

    response = client.post(url, {"action": "retrain", "_selected_action": ["0"]}, follow=True)

    assert time.monotonic() - started < 3
    shown = [str(m) for m in response.context["messages"]]
    assert any("Training not started" in m and "Connection refused" in m for m in shown), shown
    assert not ModelVersion.objects.exists()


def test_train_without_inline_reports_the_broker_error_within_seconds(broker_unreachable):
    started = time.monotonic()

    with pytest.raises(CommandError, match="Connection refused.*--inline"):
        call_command("train")

    assert time.monotonic() - started < 3


def test_the_admin_retrain_action_queues_a_training_run(db, client, memory_broker):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.post(
        reverse("admin:recommendations_modelversion_changelist"),
        {"action": "retrain", "_selected_action": ["0"]},
        follow=True,
    )

    assert any("Training queued" in str(m) for m in response.context["messages"])
    with app.connection_for_write() as connection:
        message = connection.SimpleQueue("celery").get(timeout=2)
    assert message.headers["task"] == "recommendations.train_model"
    assert message.headers["kwargsrepr"].count("'admin'") == 1
