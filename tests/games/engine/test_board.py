import pytest

from games.engine.board import STRIDE, Position, has_four
from games.engine.validate import position_from_rows
from tests.games.engine.boards import WIN_IN_3


def bits(*cells: tuple[int, int]) -> int:
    return sum(1 << (col * STRIDE + row) for col, row in cells)


@pytest.mark.parametrize(
    "cells",
    [
        [(2, 0), (2, 1), (2, 2), (2, 3)],  # vertical
        [(1, 4), (2, 4), (3, 4), (4, 4)],  # horizontal
        [(0, 0), (1, 1), (2, 2), (3, 3)],  # diagonal up to the right
        [(3, 5), (4, 4), (5, 3), (6, 2)],  # diagonal down to the right
    ],
    ids=["vertical", "horizontal", "rising", "falling"],
)
def test_four_in_a_row_wins_in_every_direction(cells):
    assert has_four(bits(*cells))
    assert not has_four(bits(*cells[:3]))


def test_lines_do_not_wrap_from_one_column_into_the_next():
    assert not has_four(bits((0, 3), (0, 4), (0, 5), (1, 0)))  # top of one column, bottom of the next
    assert not has_four(bits((6, 0), (6, 1), (0, 2), (1, 3)))


def test_playing_moves_alternates_players_and_finds_the_win():
    position = Position.from_moves([3, 3, 2, 2, 1, 1])
    assert position.player == 1 and position.moves == 6
    assert position.winning_moves() == [0, 4]
    after = position.play(4)
    assert after.last_mover_won() and after.player == 2


def test_a_full_column_is_not_a_legal_move():
    position = Position.from_moves([0] * 6)
    assert 0 not in position.legal()
    with pytest.raises(ValueError, match="not a legal move"):
        Position.from_moves([0] * 7)


def test_rows_round_trip_through_a_position():
    position = position_from_rows(WIN_IN_3, 1)
    assert position.rows() == WIN_IN_3
    assert position.winning_moves() == [3]


def test_a_draw_fills_the_board():
    # Columns in pairs (0,1), (2,3), (4,5) then 6, in an order that never makes four.
    moves = []
    for pair in ((0, 1), (2, 3), (4, 5)):
        moves += [pair[0], pair[1]] * 3 + [pair[1], pair[0]] * 3
    moves += [6] * 6
    position = Position.from_moves(moves)
    assert position.is_full() and not position.last_mover_won() and position.legal() == []
