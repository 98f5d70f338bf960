"""Controllers against each other: every pair, from both sides, from shared random openings.

Games are played in pairs: the same random opening (OPENING_PLIES moves chosen at
random, so that deterministic controllers do not replay one game), once with
each controller moving first. A win scores 1, a draw one half.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from games.engine.board import Position
from games.engine.controllers import Controller

OPENING_PLIES = 2


@dataclass(frozen=True)
class Entrant:
    name: str
    controller: Controller
    level: int


def random_opening(rng: random.Random, plies: int = OPENING_PLIES) -> list[int]:
    return [rng.randrange(7) for _ in range(plies)]


def play_game(first: Entrant, second: Entrant, *, opening: list[int], rng: random.Random) -> tuple[int, list[int]]:
    """(winner: 1, 2 or 0 for a draw, columns played)."""
    position, moves = Position.from_moves(opening), list(opening)
    sides = {1: first, 2: second}
    while True:
        entrant = sides[position.player]
        col, _ = entrant.controller.choose(position, position.player, entrant.level, rng=rng)
        moves.append(col)
        if position.wins_with(col):
            return position.player, moves
        position = position.play(col)
        if position.is_full():
            return 0, moves


def match_score(a: Entrant, b: Entrant, *, games: int, seed: int = 0) -> float:
    """`a`'s score rate against `b` over `games` games (rounded up to an even number), colours alternating."""
    rng = random.Random(seed)
    points, played = 0.0, 0
    for _ in range((games + 1) // 2):
        opening = random_opening(rng)
        for first, second in ((a, b), (b, a)):
            winner, _ = play_game(first, second, opening=opening, rng=rng)
            a_side = 1 if first is a else 2
            points += 1.0 if winner == a_side else 0.5 if winner == 0 else 0.0
            played += 1
    return points / played


def tournament(entrants: list[Entrant], *, games: int, seed: int = 0) -> dict[str, float]:
    """{"a_vs_b": a's score rate against b} for every pair, in the order given."""
    results = {}
    for i, (a, b) in enumerate(itertools.combinations(entrants, 2)):
        results[f"{a.name}_vs_{b.name}"] = round(match_score(a, b, games=games, seed=seed + i), 4)
    return results
