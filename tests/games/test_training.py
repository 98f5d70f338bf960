import json
import time

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from config.celery import app
from games.models import GameModelVersion, Match
from games.services import game_ensure
from games.serving import controller_for, forget_loaded
from games.tasks import train_learning
from games.training import TrainingAlreadyRunning, model_version_activate, train_learning_version
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_training_produces_an_active_version_with_its_tournament_results(tiny_training):
    version = train_learning_version()
    assert version.status == GameModelVersion.Status.ACTIVE
    metrics = version.metrics
    assert {"learning_vs_random", "learning_vs_rules", "learning_vs_strategy"} <= set(metrics)
    assert metrics["self_play_games"] == 12
    assert [point["games"] for point in metrics["learning_curve"]] == [0, 12]
    assert version.artifact_size and len(version.artifact_sha256) == 64
    controller, label = controller_for(game=version.game, engine="learning")
    assert label == f"v{version.pk}"


def record_match(version: GameModelVersion) -> Match:
    return Match.objects.create(
        game=version.game, player=UserFactory(), engine="rules", level=1, player_side=1, moves=[3, 4, 3, 4, 3, 4, 3],
        result=Match.Result.WIN, rating_before=1200, rating_after=1220, started_at=version.created_at,
    )  # fmt: skip


def test_a_retrain_learns_from_recorded_games_and_replaces_the_playing_version(tiny_training):
    first = train_learning_version()
    record_match(first)
    second = train_learning_version()
    first.refresh_from_db()
    assert (first.status, second.status) == (GameModelVersion.Status.RETIRED, GameModelVersion.Status.ACTIVE)
    assert second.metrics["human_games"] == 1 and second.metrics["warm_start"]
    assert second.metrics["training_games_total"] == first.metrics["training_games_total"] + 13


def test_a_retrain_learns_only_from_the_games_recorded_since_the_version_it_builds_on(tiny_training):
    # The playing version's weights already learned from the earlier games: each retrain replays only new ones.
    first = train_learning_version()
    record_match(first)
    second = train_learning_version()
    third = train_learning_version()
    assert (second.metrics["human_games"], third.metrics["human_games"]) == (1, 0)
    record_match(first)
    assert train_learning_version().metrics["human_games"] == 1


def test_putting_an_earlier_version_back_in_play_keeps_when_it_was_trained(tiny_training):
    first = train_learning_version()
    train_learning_version()
    trained_at = GameModelVersion.objects.get(pk=first.pk).finished_at
    model_version_activate(version=GameModelVersion.objects.get(pk=first.pk))
    first.refresh_from_db()
    assert first.status == GameModelVersion.Status.ACTIVE and first.finished_at == trained_at
    assert first.activated_at > trained_at


def test_only_one_run_trains_a_game_at_a_time(tiny_training):
    GameModelVersion.objects.create(game=game_ensure(slug="connect-four"))
    with pytest.raises(TrainingAlreadyRunning):
        train_learning_version()


def test_a_damaged_artifact_is_not_served(tiny_training, caplog):
    version = train_learning_version()
    path = version.artifact.path
    with open(path, "r+b") as handle:
        handle.truncate(100)
    forget_loaded()
    controller, label = controller_for(game=version.game, engine="learning")
    assert label == "untrained"
    assert "cannot be read" in caplog.text
    version.refresh_from_db()  # staff see why in the admin
    assert version.status == GameModelVersion.Status.FAILED and "Artifact unreadable" in version.error


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_the_task_and_the_command_train(tiny_training, capsys):
    version_id = train_learning.apply().get()
    assert GameModelVersion.objects.get(pk=version_id).trigger == GameModelVersion.Trigger.SCHEDULE
    call_command("games", "train", "--game", "connect-four", "--inline", "--self-play-games", "4")
    out = capsys.readouterr().out
    assert "(Active)" in out and "learning_vs_rules" in out


def test_the_tournament_command_ends_with_a_json_line(db, capsys, quick_strategy):
    call_command("games", "tournament", "--game", "connect-four", "--games", "2", "--json")
    results = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"strategy_vs_rules", "learning_vs_random", "learning_vs_rules"} <= set(results)
    assert results["rules_vs_random"] >= 0.5


def test_the_curve_command_draws_the_active_versions_learning_curve(tiny_training, tmp_path):
    version = train_learning_version()
    out = tmp_path / "curve.svg"
    call_command("games", "curve", "--game", "connect-four", "--out", str(out))
    svg = out.read_text()
    assert svg.startswith("<svg") and f"learning v{version.pk}" in svg
    assert svg.count("<circle") == len(version.metrics["learning_curve"]) == 2


def test_the_curve_command_needs_a_trained_version(db, tmp_path):
    with pytest.raises(CommandError, match="run `games train` first"):
        call_command("games", "curve", "--game", "connect-four", "--out", str(tmp_path / "curve.svg"))


def test_train_without_inline_reports_the_broker_error_within_seconds(broker_unreachable):
    started = time.monotonic()
    with pytest.raises(CommandError, match="Connection refused.*--inline"):
        call_command("games", "train", "--game", "connect-four")
    assert time.monotonic() - started < 3


def test_train_without_inline_queues_the_task(memory_broker, capsys):
    call_command("games", "train", "--game", "connect-four")
    assert "Training queued" in capsys.readouterr().out
    with app.connection_for_write() as connection:
        message = connection.SimpleQueue("celery").get(timeout=2)
    assert message.headers["task"] == "games.train_learning"
    assert not GameModelVersion.objects.exists()  # nothing trains until a worker takes it
