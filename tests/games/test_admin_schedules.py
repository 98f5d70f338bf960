import json
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from catalog.models import Item
from games.models import GameModelVersion
from games.schedules import default_schedules_ensure
from games.services import game_ensure
from games.training import train_learning_version
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_bootstrap_schedules_retraining_and_puts_the_game_in_the_catalog(capsys):
    call_command("bootstrap", "--no-demo")
    task = PeriodicTask.objects.get(task="games.train_learning")
    assert json.loads(task.kwargs) == {"slug": "connect-four", "trigger": "schedule"}
    assert Item.objects.get(source="games", source_id="connect-four").kind == Item.Kind.GAME
    task.enabled = False
    task.save()
    assert default_schedules_ensure() == []  # what staff changed stays changed
    assert not PeriodicTask.objects.get(pk=task.pk).enabled


def test_the_admin_shows_each_versions_tournament_results_and_rolls_back(client, tiny_training):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    first = train_learning_version()
    second = train_learning_version()
    page = client.get(reverse("admin:games_gamemodelversion_changelist")).content.decode()
    assert f"{first.metrics['learning_vs_random']:.0%}" in page
    assert "Vs rules" in page and "Vs strategy" in page and "Training games" in page
    response = client.post(
        reverse("admin:games_gamemodelversion_changelist"),
        {"action": "activate", "_selected_action": [first.pk]},
        follow=True,
    )
    assert "now plays." in response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (GameModelVersion.Status.ACTIVE, GameModelVersion.Status.RETIRED)
    for name in ("match", "playerskill", "enginerating"):
        assert client.get(reverse(f"admin:games_{name}_changelist")).status_code == 200


def test_the_admin_train_action_reports_the_broker_error_within_seconds(client, broker_unreachable):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    game = game_ensure(slug="connect-four")
    started = time.monotonic()
    response = client.post(
        reverse("admin:games_game_changelist"), {"action": "train", "_selected_action": [game.pk]}, follow=True
    )
    assert time.monotonic() - started < 3
    shown = [str(m) for m in response.context["messages"]]
    assert any("training not started" in m and "Connection refused" in m for m in shown), shown
    assert not GameModelVersion.objects.exists()
