"""Which controller answers a move: the rule and strategy controllers, or the active learning version."""

from __future__ import annotations

import logging
import threading

from core import process_caches
from games.artifacts import artifact_weights
from games.engine import LearningController
from games.engine.controllers import Controller
from games.engine.learning import INITIAL_WEIGHTS, InvalidArtifact
from games.models import Game, GameModelVersion
from games.registry import STATIC_CONTROLLERS

log = logging.getLogger(__name__)
UNTRAINED = "untrained"

_lock = threading.Lock()
_loaded: dict[int, tuple[int | None, LearningController]] = {}  # game id -> (version id, controller)
process_caches.register("game controllers", clear=_loaded.clear)


def learning_controller(*, game: Game) -> LearningController:
    """The active version's controller, loaded once per process and reloaded when another version activates."""
    active_id = GameModelVersion.objects.active().filter(game=game).values_list("pk", flat=True).first()
    cached = _loaded.get(game.pk)
    if cached is not None and cached[0] == active_id:
        return cached[1]
    with _lock:
        controller = LearningController(INITIAL_WEIGHTS, version=UNTRAINED)
        if active_id is not None:
            version = GameModelVersion.objects.get(pk=active_id)
            try:
                controller = LearningController(artifact_weights(version=version), version=version.label)
            except InvalidArtifact as exc:
                # Play on with the untrained value rather than fail every move. The version is marked
                # failed, so the admin says why and every process plays the same controller.
                log.error("learning version %s of %s cannot be read: %s", version.pk, game.slug, exc)
                GameModelVersion.objects.active().filter(pk=version.pk).update(
                    status=GameModelVersion.Status.FAILED, error=f"Artifact unreadable: {exc}"
                )
                active_id = None
        _loaded[game.pk] = (active_id, controller)
    return controller


def controller_for(*, game: Game, engine: str) -> tuple[Controller, str | None]:
    """(controller, version label or None for the controllers that do not learn)."""
    if engine == "learning":
        controller = learning_controller(game=game)
        return controller, controller.version
    return STATIC_CONTROLLERS[engine], None


def forget_loaded() -> None:
    _loaded.clear()
