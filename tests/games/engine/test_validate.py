import pytest

from games.engine import InvalidBoard, position_from_rows
from tests.games.engine.boards import rows


def refused(board, player=1) -> str:
    with pytest.raises(InvalidBoard) as error:
        position_from_rows(board, player)
    return str(error.value)


def test_the_empty_board_is_player_ones_move():
    assert position_from_rows(rows(), 1).moves == 0
    assert "player 1's turn, not player 2's" in refused(rows(), 2)


def test_it_refuses_a_floating_disc_naming_where():
    message = refused(rows("...X...", "...O...", "......."), 1)
    assert message == "floating disc in column 4, row 5 from the top: the cell below it is empty"


def test_it_refuses_impossible_disc_counts():
    assert "player 1 has 3 discs and player 2 has 1" in refused(rows("XXX.O.."), 1)
    assert "player 1 has 0 discs and player 2 has 1" in refused(rows("O......"), 1)


def test_it_refuses_the_wrong_player_to_move():
    assert "it is player 2's turn, not player 1's" in refused(rows("X......"), 1)


def test_it_refuses_two_winners():
    board = rows("XO.....", "XO.....", "XO.....", "XO.....")
    assert "both players have four in a row" in refused(board, 1)


def test_it_refuses_a_four_of_the_player_who_did_not_move_last():
    board = rows("O......", "XXXXOOO")
    assert refused(board, 1) == "player 1 has four in a row but player 2 moved after it"


def test_it_refuses_a_won_game_with_no_move_to_make():
    board = rows("OOO....", "XXXX...")
    assert refused(board, 2) == "the game is over: player 1 already has four in a row"


def test_a_four_covered_by_later_moves_is_play_after_the_win():
    # X's vertical four in column 1 has an O disc on top, and X played again in column 3.
    board = rows("O......", "X......", "XO.....", "XO.....", "XOX....")
    assert refused(board, 2) == "play continued after player 1's four in a row"


@pytest.mark.parametrize(
    ("board", "player", "expected"),
    [
        ("not a board", 1, "list of 6 rows"),
        ([[0] * 7] * 5, 1, "list of 6 rows"),
        ([[0] * 7] * 5 + [[0] * 6], 1, "row 6 from the top must be a list of 7 cells"),
        ([[0] * 7] * 5 + [[0, 0, 3, 0, 0, 0, 0]], 1, "row 6 from the top, column 3: a cell is 0 (empty), 1 or 2"),
        ([[0] * 7] * 5 + [[0, True, 0, 0, 0, 0, 0]], 1, "column 2: a cell is 0"),
        ([[0] * 7] * 6, 3, "player must be 1 or 2"),
    ],
)
def test_it_names_malformed_input(board, player, expected):
    assert expected in refused(board, player)
