"""Boards for the tests, drawn as people see them: top row first, "." empty, "X" player 1, "O" player 2."""

CELLS = {".": 0, "X": 1, "O": 2}


def rows(*lines: str) -> list[list[int]]:
    """Six rows from the picture; missing rows on top are empty."""
    lines = ["......."] * (6 - len(lines)) + list(lines)
    return [[CELLS[c] for c in line] for line in lines]


# Player 1 (X) to move wins in column index 3 (the page's column 4).
WIN_IN_3 = rows(
    "OO.....",
    "XXX...O",
)
# Player 1 to move must block O's four in column index 3.
BLOCK_IN_3 = rows(
    "XX.....",
    "OOO...X",
)
