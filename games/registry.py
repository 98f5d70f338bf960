"""The games the site serves, defined in code: each one's catalog entry and its controllers' starting ratings."""

from __future__ import annotations

from dataclasses import dataclass, field

from games.engine import ENGINES, LearningController, RuleController, StrategyController
from games.engine.controllers import Controller


@dataclass(frozen=True)
class GameSpec:
    slug: str
    name: str
    description: str
    year: int
    genres: tuple[str, ...]
    # Starting Elo of each (controller, level), before people's games correct them; "auto" reads them.
    engine_ratings: dict[tuple[str, int], float] = field(default_factory=dict)


CONNECT_FOUR = GameSpec(
    slug="connect-four",
    name="Connect Four",
    description=(
        "Drop discs into a seven-column grid and line up four of yours, across, up or diagonally, before your "
        "opponent does. Play against a rule engine, an alpha-beta strategy engine or an engine that learned "
        "from thousands of games."
    ),
    year=1974,
    genres=("Strategy", "Board game"),
    engine_ratings={
        ("rules", 1): 800, ("rules", 2): 1050, ("rules", 3): 1200,
        ("learning", 1): 950, ("learning", 2): 1150, ("learning", 3): 1400, ("learning", 4): 1500,
        ("learning", 5): 1550,
        ("strategy", 1): 1100, ("strategy", 2): 1350, ("strategy", 3): 1650, ("strategy", 4): 1800,
        ("strategy", 5): 1900,
    },
)  # fmt: skip

GAMES: dict[str, GameSpec] = {CONNECT_FOUR.slug: CONNECT_FOUR}

# The stateless controllers are shared; the learning one comes from the active version (games.serving).
STATIC_CONTROLLERS: dict[str, Controller] = {"rules": RuleController(), "strategy": StrategyController()}
CONTROLLER_CLASSES: dict[str, type[Controller]] = {
    "rules": RuleController,
    "strategy": StrategyController,
    "learning": LearningController,
}
assert tuple(CONTROLLER_CLASSES) == ENGINES


def engine_levels(engine: str) -> int:
    return len(CONTROLLER_CLASSES[engine].levels)
