import pytest

from games.serving import forget_loaded
from tests.api.conftest import _fresh_throttles, partner  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def _fresh_learning_controller():
    # Each test loads the active version of its own database.
    forget_loaded()
    yield
    forget_loaded()


@pytest.fixture
def tiny_training(settings, media_root):
    """Training runs of seconds: a few self-play games, two games per tournament pairing."""
    settings.GAMES_TRAIN_SELF_PLAY_GAMES = 12
    settings.GAMES_TRAIN_EVAL_GAMES = 2
    settings.GAMES_TRAIN_CURVE_POINTS = 1
    return settings


@pytest.fixture
def quick_strategy(monkeypatch):
    """The strategy controller's default level searches 2 moves instead of 0.12 s: tournaments of seconds."""
    from games.engine.strategy import STRATEGY_LEVELS

    monkeypatch.setitem(STRATEGY_LEVELS, 3, (2, None))
