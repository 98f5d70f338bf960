"""Game AI: pure Python/numpy game cores and controllers, no Django.

Connect Four (board.py, validate.py) and three controllers behind one interface,
`choose(board, player, level) -> (column, explanation)`: rules (an ordered rule
engine), strategy (alpha-beta search) and learning (a TD-trained value function
with a short search). tournament.py measures them against each other, elo.py
rates people and controllers.
"""

from games.engine.board import InvalidBoard, Position, column_name
from games.engine.controllers import Controller, RandomPlayer
from games.engine.learning import InvalidArtifact, LearningController
from games.engine.rules import RULES, RuleController
from games.engine.strategy import StrategyController
from games.engine.validate import position_from_rows

ENGINES = ("rules", "strategy", "learning")

__all__ = [
    "ENGINES",
    "RULES",
    "Controller",
    "InvalidArtifact",
    "InvalidBoard",
    "LearningController",
    "Position",
    "RandomPlayer",
    "RuleController",
    "StrategyController",
    "column_name",
    "position_from_rows",
]
