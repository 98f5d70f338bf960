"""Connect Four on bitboards: 7 columns of 6 cells, two players, four in a row wins.

A position is two Python ints. Bit `col * 7 + row` is the cell in column `col`
(0 left ... 6 right) and row `row` (0 bottom ... 5 top); the seventh bit of each
column stays empty so that shifts never carry a line from one column into the
next. `mine` holds the discs of the player to move, `mask` every disc.

Columns are 0-6 in code and in the API; explanations written for people number
them 1-7 from the left, as the game page does (`column_name`).
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 7
HEIGHT = 6
STRIDE = HEIGHT + 1
CELLS = WIDTH * HEIGHT
CENTRE_ORDER = (3, 2, 4, 1, 5, 0, 6)  # search tries the centre first: it takes part in the most lines

BOTTOM = sum(1 << (col * STRIDE) for col in range(WIDTH))
BOARD = BOTTOM * ((1 << HEIGHT) - 1)  # every playable cell
COLUMN = [((1 << HEIGHT) - 1) << (col * STRIDE) for col in range(WIDTH)]
TOP_CELL = [1 << (HEIGHT - 1 + col * STRIDE) for col in range(WIDTH)]
BOTTOM_CELL = [1 << (col * STRIDE) for col in range(WIDTH)]
# Rows counted from 1 at the bottom: odd rows (1, 3, 5) favour the first player in the endgame.
ODD_ROWS = sum(1 << (col * STRIDE + row) for col in range(WIDTH) for row in (0, 2, 4))
EVEN_ROWS = BOARD ^ ODD_ROWS
DIRECTIONS = (1, STRIDE, STRIDE - 1, STRIDE + 1)  # vertical, horizontal, both diagonals


def column_name(col: int) -> str:
    """How people read a column: 1-7 from the left."""
    return f"column {col + 1}"


def has_four(bits: int) -> bool:
    """Whether `bits` hold four in a row in any direction."""
    for shift in DIRECTIONS:
        pairs = bits & (bits >> shift)
        if pairs & (pairs >> (2 * shift)):
            return True
    return False


def winning_cells(bits: int, mask: int) -> int:
    """Empty cells (anywhere, playable now or not) that would complete four for the owner of `bits`."""
    # Vertical: three stacked below the cell.
    found = (bits << 1) & (bits << 2) & (bits << 3)
    for shift in (STRIDE, STRIDE - 1, STRIDE + 1):
        pair = (bits << shift) & (bits << 2 * shift)
        found |= pair & (bits << 3 * shift)
        found |= pair & (bits >> shift)
        pair = (bits >> shift) & (bits >> 2 * shift)
        found |= pair & (bits << shift)
        found |= pair & (bits >> 3 * shift)
    return found & (BOARD ^ mask)


class InvalidBoard(ValueError):
    """A board no game of Connect Four can reach, or one with no move left to make."""


@dataclass(frozen=True, slots=True)
class Position:
    mine: int  # discs of the player to move
    mask: int  # all discs
    moves: int  # discs on the board
    player: int  # 1 or 2: who moves now

    @classmethod
    def empty(cls) -> Position:
        return cls(0, 0, 0, 1)

    @property
    def theirs(self) -> int:
        return self.mine ^ self.mask

    def playable(self) -> int:
        """The lowest empty cell of each column that is not full."""
        return (self.mask + BOTTOM) & BOARD

    def can_play(self, col: int) -> bool:
        return not self.mask & TOP_CELL[col]

    def legal(self) -> list[int]:
        return [col for col in range(WIDTH) if not self.mask & TOP_CELL[col]]

    def cell(self, col: int) -> int:
        """The bit a disc dropped in `col` lands on."""
        return (self.mask + BOTTOM_CELL[col]) & COLUMN[col]

    def play(self, col: int) -> Position:
        """The position after the player to move drops a disc in `col` (which must not be full)."""
        mask = self.mask | (self.mask + BOTTOM_CELL[col])
        return Position(self.mine ^ self.mask, mask, self.moves + 1, 3 - self.player)

    def wins_with(self, col: int) -> bool:
        """Whether dropping in `col` completes four for the player to move."""
        return bool(winning_cells(self.mine, self.mask) & self.cell(col))

    def winning_moves(self) -> list[int]:
        cells = winning_cells(self.mine, self.mask) & self.playable()
        return [col for col in range(WIDTH) if cells & COLUMN[col]]

    def losing_threats(self) -> list[int]:
        """Columns where the opponent would win next move if left open."""
        cells = winning_cells(self.theirs, self.mask) & self.playable()
        return [col for col in range(WIDTH) if cells & COLUMN[col]]

    def last_mover_won(self) -> bool:
        return has_four(self.theirs)

    def is_full(self) -> bool:
        return self.moves >= CELLS

    def key(self) -> int:
        """Unique per position (the standard mine + mask encoding)."""
        return self.mine + self.mask

    def rows(self) -> list[list[int]]:
        """6 rows, top first, 7 cells each: 0 empty, 1 or 2 the player's disc."""
        p1 = self.mine if self.player == 1 else self.theirs
        grid = []
        for row in range(HEIGHT - 1, -1, -1):
            line = []
            for col in range(WIDTH):
                bit = 1 << (col * STRIDE + row)
                line.append(0 if not self.mask & bit else (1 if p1 & bit else 2))
            grid.append(line)
        return grid

    @classmethod
    def from_moves(cls, moves: list[int]) -> Position:
        """Replay columns from the empty board; raises InvalidBoard on a full column or a move after a win."""
        position = cls.empty()
        for number, col in enumerate(moves, 1):
            if not (isinstance(col, int) and 0 <= col < WIDTH) or not position.can_play(col):
                raise InvalidBoard(f"move {number}: column {col!r} is not a legal move")
            if position.last_mover_won():
                raise InvalidBoard(f"move {number}: the game was already won")
            position = position.play(col)
        return position
