"""The rule controller: an ordered list of rules, as data.

Each rule looks at the position and the candidate columns left by the rules
before it, and either decides (a column and why), narrows the candidates (a
filter such as "do not give a win"), or passes. The first rule that decides
names itself in the explanation. The game page lists RULES as they are here.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from games.engine.board import CENTRE_ORDER, Position, column_name, winning_cells
from games.engine.controllers import Choice, Controller

Outcome = tuple[int, str] | list[int] | None


@dataclass(frozen=True)
class Rule:
    name: str
    title: str
    description: str
    apply: Callable[[Position, list[int], random.Random], Outcome]
    min_level: int = 1


def _win(position: Position, candidates: list[int], rng: random.Random) -> Outcome:
    wins = [col for col in candidates if position.wins_with(col)]
    return (wins[0], f"wins with four in a row in {column_name(wins[0])}") if wins else None


def _block(position: Position, candidates: list[int], rng: random.Random) -> Outcome:
    threats = [col for col in position.losing_threats() if col in candidates]
    return (threats[0], f"blocks your four in {column_name(threats[0])}") if threats else None


def _no_gift(position: Position, candidates: list[int], rng: random.Random) -> Outcome:
    safe = [col for col in candidates if not position.play(col).wins_with(col)]
    return safe if safe and len(safe) < len(candidates) else None


def _threats_after(position: Position, col: int) -> int:
    """How many columns we could win in next turn after playing `col` (the opponent blocks only one)."""
    after = position.play(col)
    return (winning_cells(after.theirs, after.mask) & after.playable()).bit_count()


def _fork(position: Position, candidates: list[int], rng: random.Random) -> Outcome:
    forks = [col for col in candidates if _threats_after(position, col) >= 2]
    return (forks[0], f"makes two threats at once with {column_name(forks[0])}") if forks else None


def _block_fork(position: Position, candidates: list[int], rng: random.Random) -> Outcome:
    # Where the opponent, moving there next, would make two threats at once: take that cell first.
    swapped = Position(position.theirs, position.mask, position.moves, 3 - position.player)
    for col in candidates:
        if _threats_after(swapped, col) >= 2:
            return col, f"takes {column_name(col)} before you can make two threats there"
    return None


def _three(position: Position, candidates: list[int], rng: random.Random) -> Outcome:
    before = winning_cells(position.mine, position.mask).bit_count()
    gains = {}
    for col in candidates:
        after = position.play(col)
        gains[col] = winning_cells(after.theirs, after.mask).bit_count() - before
    best = max(gains.values())
    if best <= 0:
        return None
    col = next(c for c in CENTRE_ORDER if gains.get(c) == best)
    return col, f"builds a three with an open end in {column_name(col)}"


def _centre(position: Position, candidates: list[int], rng: random.Random) -> Outcome:
    col = next(c for c in CENTRE_ORDER if c in candidates)
    # Among columns as central as the best one, pick either side at random so games vary.
    twins = [c for c in candidates if abs(c - 3) == abs(col - 3)]
    col = rng.choice(twins)
    return col, f"plays {column_name(col)}, the most central column open"


def _anything(position: Position, candidates: list[int], rng: random.Random) -> Outcome:
    col = rng.choice(candidates)
    return col, f"plays {column_name(col)}, as nothing more urgent was found"


RULES: tuple[Rule, ...] = (
    Rule("win", "Win now", "Complete four in a row when a column allows it.", _win),
    Rule("block", "Block a four", "Drop a disc where the opponent would complete four next move.", _block),
    Rule("no_gift", "Give nothing away", "Avoid a column where the opponent could win right on top.", _no_gift, 2),
    Rule("fork", "Make two threats", "Play where two columns then win for us: only one can be blocked.", _fork, 2),
    Rule("block_fork", "Stop two threats", "Take the cell where the opponent would make two threats.", _block_fork, 3),
    Rule("three", "Build a three", "Play where we gain the most cells that would complete four.", _three, 3),
    Rule("centre", "Prefer the centre", "The centre columns take part in the most lines.", _centre, 2),
    Rule("anything", "Anything else", "A random legal move.", _anything),
)


class RuleController(Controller):
    name = "rules"
    label = "Rule engine"
    levels = ("wins and blocks, otherwise random", "also avoids gifts, makes double threats, plays centre",
              "every rule, in order")  # fmt: skip
    default_level = 3

    def forced(self, position: Position) -> Choice | None:
        # The first rules win and block themselves, so the explanation names the rule that decided.
        return None

    def decide(self, position: Position, level: int, rng: random.Random) -> Choice:
        candidates = position.legal()
        for rule in RULES:
            if rule.min_level > level:
                continue
            outcome = rule.apply(position, candidates, rng)
            if isinstance(outcome, list):
                candidates = outcome
            elif outcome is not None:
                col, detail = outcome
                return col, f"{rule.title}: {detail}"
        raise AssertionError("the last rule always decides")
