"""Negamax alpha-beta search with iterative deepening, a transposition table and a time budget.

Scores are from the side of the player to move: WIN - ply for a win found `ply`
half-moves ahead (faster wins score higher), 0 a draw, and evaluate(position)
scaled to (-SCALE, SCALE) at the depth limit. Moves are tried best-first: the
transposition table's best move, then the centre outwards. A move that lets the
opponent win right on top of it is never searched unless every move does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from games.engine.board import CELLS, CENTRE_ORDER, COLUMN, Position, winning_cells

WIN = 100_000
SCALE = 1_000
EXACT, LOWER, UPPER = 0, 1, 2


class _OutOfTime(Exception):
    pass


@dataclass
class SearchResult:
    column: int
    score: float
    depth: int  # the deepest fully searched depth, in half-moves
    nodes: int
    seconds: float

    @property
    def wins(self) -> bool:
        return self.score > WIN - CELLS - 1

    @property
    def loses(self) -> bool:
        return self.score < -(WIN - CELLS - 1)

    @property
    def plies_to_end(self) -> int:
        return int(WIN - abs(self.score))


class Search:
    def __init__(self, evaluate: Callable[[Position], float]) -> None:
        self.evaluate = evaluate
        self.table: dict[int, tuple[int, float, int, int]] = {}  # key -> (depth, score, bound, best column)
        self.nodes = 0
        self.deadline = float("inf")

    def best_move(self, position: Position, *, max_depth: int, seconds: float | None = None) -> SearchResult:
        """The best move found, searching deeper until `max_depth` or until the time budget runs out."""
        start = time.perf_counter()
        self.deadline = start + seconds if seconds else float("inf")
        legal = position.legal()
        best = SearchResult(legal[0] if 3 not in legal else 3, 0.0, 0, 0, 0.0)
        for depth in range(1, min(max_depth, CELLS - position.moves) + 1):
            try:
                column, score = self._root(position, depth)
            except _OutOfTime:
                break
            best = SearchResult(column, score, depth, self.nodes, time.perf_counter() - start)
            if best.wins or best.loses:
                break  # a forced result: searching deeper cannot change it
        best.nodes, best.seconds = self.nodes, time.perf_counter() - start
        return best

    def _root(self, position: Position, depth: int) -> tuple[int, float]:
        alpha, best_col = -WIN - 1, None
        for col in self._ordered(position, self.table.get(position.key())):
            score = -self._negamax(position.play(col), depth - 1, -WIN - 1, -alpha, 1)
            if best_col is None or score > alpha:
                alpha, best_col = score, col
        self.table[position.key()] = (depth, alpha, EXACT, best_col)
        return best_col, alpha

    def _ordered(self, position: Position, entry) -> list[int]:
        # Never searched: moves after which the opponent wins right on top (unless all moves do).
        moves = [c for c in CENTRE_ORDER if position.can_play(c)]
        safe = [c for c in moves if not position.play(c).wins_with(c)]
        moves = safe or moves
        if entry is not None and entry[3] in moves:
            moves.remove(entry[3])
            moves.insert(0, entry[3])
        return moves

    def _negamax(self, position: Position, depth: int, alpha: float, beta: float, ply: int) -> float:
        self.nodes += 1
        if not self.nodes & 255 and time.perf_counter() > self.deadline:
            raise _OutOfTime
        playable = position.playable()
        if winning_cells(position.mine, position.mask) & playable:
            return WIN - ply - 1
        if position.moves >= CELLS:
            return 0.0
        threats = winning_cells(position.theirs, position.mask) & playable
        if threats & (threats - 1):
            return -(WIN - ply - 2)  # two threats: the opponent wins whichever we block
        if depth <= 0 and not threats:
            return self.evaluate(position) * SCALE
        key = position.key()
        entry = self.table.get(key)
        if entry is not None and entry[0] >= depth:
            _, score, bound, _ = entry
            if bound == EXACT or (bound == LOWER and score >= beta) or (bound == UPPER and score <= alpha):
                return score
        # One threat: blocking it is the only move worth searching, and a forced reply costs no depth.
        moves = [next(c for c in range(7) if threats & COLUMN[c])] if threats else self._ordered(position, entry)
        depth += 1 if threats else 0
        original_alpha, best_score, best_col = alpha, -WIN - 1, moves[0]
        for col in moves:
            score = -self._negamax(position.play(col), depth - 1, -beta, -alpha, ply + 1)
            if score > best_score:
                best_score, best_col = score, col
            if score > alpha:
                alpha = score
            if alpha >= beta:
                break
        bound = UPPER if best_score <= original_alpha else LOWER if best_score >= beta else EXACT
        self.table[key] = (depth, best_score, bound, best_col)
        return best_score
