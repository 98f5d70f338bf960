"""What every controller shares: one interface and the two moves no level may miss."""

from __future__ import annotations

import random

from games.engine.board import Position, column_name
from games.engine.validate import position_from_rows

Choice = tuple[int, str]  # (column 0-6, explanation for people)


class Controller:
    """choose(board, player, level) -> (column, explanation).

    `board` is 6 rows top first (validated) or an already valid Position; levels run
    from 1 (weakest) to len(levels); ties are broken with `rng` so that games vary.
    """

    name = ""
    label = ""
    levels: tuple[str, ...] = ()  # one short description per level, level 1 first
    default_level = 1

    def choose(self, board, player: int, level: int | None = None, *, rng: random.Random | None = None) -> Choice:
        position = board if isinstance(board, Position) else position_from_rows(board, player)
        if position.player != player:
            raise ValueError(f"the position has player {position.player} to move, not player {player}")
        level = self.default_level if level is None else level
        if not 1 <= level <= len(self.levels):
            raise ValueError(f"{self.name} levels are 1 to {len(self.levels)}, got {level}")
        forced = self.forced(position)
        if forced is not None:
            return forced
        return self.decide(position, level, rng or random.Random())

    def forced(self, position: Position) -> Choice | None:
        return forced_move(position)

    def decide(self, position: Position, level: int, rng: random.Random) -> Choice:
        raise NotImplementedError


def forced_move(position: Position) -> Choice | None:
    """Win now if possible, else block a four the opponent would complete next move."""
    wins = position.winning_moves()
    if wins:
        return wins[0], f"wins with four in a row in {column_name(wins[0])}"
    threats = position.losing_threats()
    if not threats:
        return None
    others = ", ".join(str(col + 1) for col in threats[1:])
    still_open = f" (your other threat in column {others} stays open)" if others else ""
    return threats[0], f"blocks your four in {column_name(threats[0])}{still_open}"


def safe_moves(position: Position) -> list[int]:
    """Legal moves that do not let the opponent win right on top of them (all legal moves if none is safe)."""
    legal = position.legal()
    safe = [col for col in legal if not position.play(col).wins_with(col)]
    return safe or legal


class RandomPlayer(Controller):
    """A uniformly random legal move: the baseline of the tournament, never served."""

    name = "random"
    label = "Random"
    levels = ("any legal move",)

    def forced(self, position: Position) -> Choice | None:
        return None  # not even a win or a block: it is the baseline

    def decide(self, position: Position, level: int, rng: random.Random) -> Choice:
        col = rng.choice(position.legal())
        return col, f"plays {column_name(col)} at random"
