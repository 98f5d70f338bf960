"""Training a game's learning controller: recorded games + self-play -> weights -> tournament -> activation.

One service for the Celery task and `manage.py games train --inline`. Only one run
trains per game at a time (a unique index, whichever process asks); a run still
marked training after the task's hard time limit died with its worker and is
marked failed before the next one starts.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from games.artifacts import artifact_save, artifact_weights
from games.engine import LearningController, RandomPlayer, RuleController, StrategyController
from games.engine.learning import InvalidArtifact, TrainingConfig, config_dict, train_value
from games.engine.tournament import Entrant, match_score
from games.models import Game, GameModelVersion, Match
from games.services import game_ensure
from games.serving import learning_controller


class TrainingAlreadyRunning(Exception):
    pass


def training_config(**overrides) -> TrainingConfig:
    overrides = {k: v for k, v in overrides.items() if v is not None}
    games = overrides.get("self_play_games", settings.GAMES_TRAIN_SELF_PLAY_GAMES)
    # The learning curve: the untrained point, then GAMES_TRAIN_CURVE_POINTS more, whatever the run's length.
    points = settings.GAMES_TRAIN_CURVE_POINTS
    config = TrainingConfig(
        self_play_games=games,
        curve_every=max(games // points, 1) if points else 0,
        curve_games=settings.GAMES_TRAIN_EVAL_GAMES,
    )
    return replace(config, **overrides)


def learning_evaluate(*, weights, games: int, seed: int, strategy_level: int = 2) -> dict[str, float]:
    """The learning controller (default level) against random, rules and strategy: its score rates."""
    learning = Entrant("learning", LearningController(weights), LearningController.default_level)
    opponents = [
        Entrant("random", RandomPlayer(), 1),
        Entrant("rules", RuleController(), RuleController.default_level),
        Entrant("strategy", StrategyController(), strategy_level),
    ]
    return {
        f"learning_vs_{o.name}": round(match_score(learning, o, games=games, seed=seed + i), 4)
        for i, o in enumerate(opponents)
    }


def _curve_point(games: int):
    rules = Entrant("rules", RuleController(), RuleController.default_level)

    def evaluate(weights, seed: int) -> float:
        learning = Entrant("learning", LearningController(weights), LearningController.default_level)
        return round(match_score(learning, rules, games=games, seed=seed), 4)

    return evaluate


def training_runs_reap(*, game: Game) -> int:
    limit = timezone.now() - timezone.timedelta(seconds=settings.GAMES_TRAIN_TIME_LIMIT)
    return GameModelVersion.objects.training().filter(game=game, created_at__lt=limit).update(
        status=GameModelVersion.Status.FAILED, error="Still training after the time limit: its worker died.",
        finished_at=timezone.now(),
    )  # fmt: skip


def _start(*, game: Game, trigger: str, config: TrainingConfig, task_id: str) -> GameModelVersion:
    training_runs_reap(game=game)
    try:
        with transaction.atomic():
            return GameModelVersion.objects.create(
                game=game, trigger=trigger, config=config_dict(config), task_id=task_id
            )
    except IntegrityError:
        raise TrainingAlreadyRunning(f"a training run of {game} is already in progress") from None


def _warm_start(game: Game) -> tuple[np.ndarray | None, dict]:
    """The playing version's weights and metrics: periodic retraining builds on what was learned."""
    active = GameModelVersion.objects.active().filter(game=game).first()
    if active is None:
        return None, {}
    try:
        return artifact_weights(version=active), active.metrics
    except InvalidArtifact:
        return None, {}


def _recorded_games(game: Game, *, after: int) -> tuple[list[list[int]], int]:
    """The moves of the matches stored after match id `after`, and the last id read (`after` when none)."""
    rows = list(Match.objects.filter(game=game, pk__gt=after).order_by("pk").values_list("pk", "moves"))
    return [moves for _, moves in rows], rows[-1][0] if rows else after


def train_learning_version(
    *, slug: str = "connect-four", trigger: str = GameModelVersion.Trigger.MANUAL, task_id: str = "", **overrides
) -> GameModelVersion:
    """Train, evaluate, store and activate a new learning version; raises TrainingAlreadyRunning."""
    game = game_ensure(slug=slug)
    config = training_config(**overrides)
    version = _start(game=game, trigger=trigger, config=config, task_id=task_id)
    timings: dict[str, float] = {}
    try:
        t0 = time.perf_counter()
        start, earlier = _warm_start(game)
        # The weights it starts from already learned from the games recorded up to `human_games_up_to`.
        human, human_up_to = _recorded_games(game, after=earlier.get("human_games_up_to", 0))
        timings["load"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        evaluate = _curve_point(config.curve_games) if config.curve_every else None
        result = train_value(config, human_games=human, start=start, evaluate=evaluate)
        timings["train"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        tournament = learning_evaluate(weights=result.weights, games=settings.GAMES_TRAIN_EVAL_GAMES, seed=config.seed)
        timings["tournament"] = round(time.perf_counter() - t0, 3)
        artifact_save(version=version, weights=result.weights)
    except Exception as exc:
        version.status, version.error = GameModelVersion.Status.FAILED, f"{type(exc).__name__}: {exc}"
        version.timings, version.finished_at = timings, timezone.now()
        version.save()
        raise
    version.metrics = {
        **tournament,
        "self_play_games": result.self_play_games,
        "human_games": result.human_games,
        "training_games_total": earlier.get("training_games_total", 0) + result.self_play_games + result.human_games,
        "human_games_up_to": human_up_to,
        "warm_start": start is not None,
        "learning_curve": [{"games": g, "win_rate_vs_rules": rate} for g, rate in result.curve],
    }
    version.timings = timings
    return _activate(version)


@transaction.atomic
def _activate(version: GameModelVersion) -> GameModelVersion:
    now = timezone.now()
    GameModelVersion.objects.active().filter(game=version.game).update(status=GameModelVersion.Status.RETIRED)
    version.status, version.activated_at = GameModelVersion.Status.ACTIVE, now
    version.finished_at = version.finished_at or now  # a rollback keeps when its training finished
    version.save()
    return version


def model_version_activate(*, version: GameModelVersion) -> GameModelVersion:
    """Staff put an earlier version back in play (a rollback); its artifact must still read back."""
    artifact_weights(version=version)
    return _activate(version)


def tournament_entrants(*, game: Game) -> list[Entrant]:
    """The three controllers at their default levels (learning: the active version) and a random player."""
    return [
        Entrant("strategy", StrategyController(), StrategyController.default_level),
        Entrant("learning", learning_controller(game=game), LearningController.default_level),
        Entrant("rules", RuleController(), RuleController.default_level),
        Entrant("random", RandomPlayer(), 1),
    ]
