"""Boards from the outside world: 6 rows top first, 7 cells each, 0 empty / 1 / 2.

`position_from_rows` accepts only boards a real game reaches with the given
player to move and a move still to make; every refusal is an InvalidBoard whose
message names the problem in the words of the game page (rows counted from the
top, columns 1-7 from the left).
"""

from __future__ import annotations

from games.engine.board import BOTTOM_CELL, COLUMN, HEIGHT, STRIDE, WIDTH, InvalidBoard, Position, column_name, has_four


def _grid(rows) -> list[list[int]]:
    if not isinstance(rows, list | tuple) or len(rows) != HEIGHT:
        raise InvalidBoard(f"the board must be a list of {HEIGHT} rows, top row first")
    for r, row in enumerate(rows, 1):
        if not isinstance(row, list | tuple) or len(row) != WIDTH:
            raise InvalidBoard(f"row {r} from the top must be a list of {WIDTH} cells")
        for c, cell in enumerate(row, 1):
            if isinstance(cell, bool) or cell not in (0, 1, 2):
                raise InvalidBoard(f"row {r} from the top, column {c}: a cell is 0 (empty), 1 or 2, got {cell!r}")
    return [list(row) for row in rows]


def _bits(grid: list[list[int]]) -> tuple[int, int]:
    """(player 1's discs, player 2's discs); refuses a disc with an empty cell under it."""
    discs = {1: 0, 2: 0}
    for col in range(WIDTH):
        empty_below = None
        for row in range(HEIGHT):  # bottom up
            cell = grid[HEIGHT - 1 - row][col]
            if cell == 0:
                empty_below = empty_below if empty_below is not None else row
            elif empty_below is not None:
                raise InvalidBoard(
                    f"floating disc in {column_name(col)}, row {HEIGHT - row} from the top: the cell below it is empty"
                )
            else:
                discs[cell] |= 1 << (col * STRIDE + row)
    return discs[1], discs[2]


def _check_turn(n1: int, n2: int, player: int) -> None:
    if n1 not in (n2, n2 + 1):
        raise InvalidBoard(
            f"player 1 has {n1} discs and player 2 has {n2}: player 1 starts and the players alternate, "
            "so player 1 has as many discs as player 2 or one more"
        )
    expected = 1 if n1 == n2 else 2
    if player != expected:
        raise InvalidBoard(
            f"it is player {expected}'s turn, not player {player}'s: player 1 has {n1} discs and player 2 has {n2}"
        )


def _check_winners(bits: dict[int, int], mask: int, last_mover: int) -> None:
    winners = [p for p in (1, 2) if has_four(bits[p])]
    if len(winners) == 2:
        raise InvalidBoard("both players have four in a row: the game ends at the first four")
    if not winners:
        return
    winner = winners[0]
    if winner != last_mover:
        raise InvalidBoard(f"player {winner} has four in a row but player {last_mover} moved after it")
    # The winning disc was the last one played, so it sits on top of its column and taking it
    # away must undo every four; otherwise discs were played after the game was won.
    tops = [((mask + BOTTOM_CELL[col]) >> 1) & COLUMN[col] for col in range(WIDTH)]
    tops = [top for top in tops if top & bits[winner]]
    if not any(not has_four(bits[winner] ^ top) for top in tops):
        raise InvalidBoard(f"play continued after player {winner}'s four in a row")
    raise InvalidBoard(f"the game is over: player {winner} already has four in a row")


def position_from_rows(rows, player) -> Position:
    """The position to move from; raises InvalidBoard naming the problem."""
    if isinstance(player, bool) or player not in (1, 2):
        raise InvalidBoard(f"player must be 1 or 2, got {player!r}")
    grid = _grid(rows)
    p1, p2 = _bits(grid)
    n1, n2 = p1.bit_count(), p2.bit_count()
    _check_turn(n1, n2, player)
    mask = p1 | p2
    _check_winners({1: p1, 2: p2}, mask, last_mover=3 - player)
    if n1 + n2 == WIDTH * HEIGHT:
        raise InvalidBoard("the board is full: the game is a draw and there is no move to make")
    return Position(p1 if player == 1 else p2, mask, n1 + n2, player)
