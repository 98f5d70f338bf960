"""The strategy controller: alpha-beta search over a hand-weighted evaluation, under a time budget."""

from __future__ import annotations

import random

from games.engine.board import Position, column_name
from games.engine.controllers import Choice, Controller
from games.engine.features import STRATEGY_WEIGHTS, LinearValue
from games.engine.search import SCALE, Search, SearchResult

# level -> (deepest search in half-moves, seconds allowed); deeper levels stop at whichever comes first.
STRATEGY_LEVELS = {1: (2, None), 2: (4, None), 3: (42, 0.12), 4: (42, 0.5), 5: (42, 1.5)}


def explain(result: SearchResult) -> str:
    where = column_name(result.column)
    if result.wins:
        return f"plays {where}: it forces a win within {(result.plies_to_end + 1) // 2} of its moves"
    if result.loses:
        return f"plays {where}: every move loses against best play, this one holds out longest"
    return (
        f"plays {where}: the best position found looking {result.depth} moves ahead "
        f"({result.nodes:,} positions, score {result.score / SCALE:+.2f})"
    )


class StrategyController(Controller):
    name = "strategy"
    label = "Strategy engine (alpha-beta search)"
    levels = ("looks 2 moves ahead", "looks 4 moves ahead", "searches for 0.12 s", "searches for 0.5 s",
              "searches for 1.5 s")  # fmt: skip
    default_level = 3

    def __init__(self, weights=STRATEGY_WEIGHTS) -> None:
        self.value = LinearValue(weights)

    def decide(self, position: Position, level: int, rng: random.Random) -> Choice:
        depth, seconds = STRATEGY_LEVELS[level]
        result = Search(self.value).best_move(position, max_depth=depth, seconds=seconds)
        return result.column, explain(result)
