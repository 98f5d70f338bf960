"""Board features both searching controllers evaluate positions with.

A position is described from the side of the player to move ("my") against the
player who just moved ("their"), by line patterns counted on the bitboards:
cells that would complete four (threats), which of them sit on the rows that
favour each player in the endgame, which are playable right now, open windows
of four holding two or more discs, and central discs. The strategy controller
weighs them by hand; the learning controller learns the weights.

value(position) = tanh(weights . features(position)), in (-1, 1): +1 the player
to move wins, -1 loses.
"""

from __future__ import annotations

import math

import numpy as np

from games.engine.board import BOARD, COLUMN, DIRECTIONS, EVEN_ROWS, ODD_ROWS, Position, winning_cells

FEATURES = (
    "bias", "my_threats", "their_threats", "my_parity_threats", "their_parity_threats",
    "my_playable_threats", "their_playable_threats", "my_centre", "their_centre",
    "my_near_centre", "their_near_centre", "my_open_twos", "their_open_twos", "first_player", "stage",
)  # fmt: skip
N_FEATURES = len(FEATURES)
NEAR_CENTRE = COLUMN[2] | COLUMN[4]


def _open_windows(bits: int, other: int) -> int:
    """Windows of four with no disc of `other` and at least two of `bits`, in every direction."""
    free = BOARD & ~other
    total = 0
    for s in DIRECTIONS:
        ok = free & (free >> s) & (free >> 2 * s) & (free >> 3 * s)
        b1, b2, b3 = bits >> s, bits >> 2 * s, bits >> 3 * s
        two = (bits & (b1 | b2 | b3)) | (b1 & (b2 | b3)) | (b2 & b3)
        total += (ok & two).bit_count()
    return total


def features(position: Position) -> list[float]:
    mine, theirs, mask = position.mine, position.theirs, position.mask
    my_w, their_w = winning_cells(mine, mask), winning_cells(theirs, mask)
    playable = position.playable()
    # Player 1 profits from threats on odd rows (1, 3, 5 from the bottom), player 2 from even ones.
    my_rows, their_rows = (ODD_ROWS, EVEN_ROWS) if position.player == 1 else (EVEN_ROWS, ODD_ROWS)
    return [
        1.0,
        my_w.bit_count(),
        their_w.bit_count(),
        (my_w & my_rows).bit_count(),
        (their_w & their_rows).bit_count(),
        (my_w & playable).bit_count(),
        (their_w & playable).bit_count(),
        (mine & COLUMN[3]).bit_count(),
        (theirs & COLUMN[3]).bit_count(),
        (mine & NEAR_CENTRE).bit_count(),
        (theirs & NEAR_CENTRE).bit_count(),
        _open_windows(mine, theirs),
        _open_windows(theirs, mine),
        1.0 if position.player == 1 else -1.0,
        position.moves / 42.0,
    ]


class LinearValue:
    """tanh(w . x) over FEATURES; `weights` is a float64 array of shape (N_FEATURES,)."""

    def __init__(self, weights) -> None:
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != (N_FEATURES,) or not np.all(np.isfinite(weights)):
            raise ValueError(f"weights must be {N_FEATURES} finite numbers, got shape {weights.shape}")
        self.weights = weights
        self._w = weights.tolist()  # plain floats: a 15-term dot product is faster without numpy per node

    def __call__(self, position: Position) -> float:
        return math.tanh(sum(w * x for w, x in zip(self._w, features(position), strict=True)))


# Hand-set weights of the strategy controller's evaluation: threats matter most, a threat on the
# rows that favour its owner more, a threat playable now more still; central discs a little.
STRATEGY_WEIGHTS = np.array(
    [0.0, 0.06, -0.06, 0.08, -0.08, 0.25, -0.25, 0.04, -0.04, 0.02, -0.02, 0.02, -0.02, 0.0, 0.0]
)
