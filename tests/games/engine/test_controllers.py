import random

import pytest

from games.engine import LearningController, Position, RuleController, StrategyController
from games.engine.rules import RULES
from tests.games.engine.boards import BLOCK_IN_3, WIN_IN_3, rows

CONTROLLERS = [RuleController(), StrategyController(), LearningController()]
EVERY_LEVEL = [(c, level) for c in CONTROLLERS for level in range(1, len(c.levels) + 1)]
IDS = [f"{c.name}-{level}" for c, level in EVERY_LEVEL]


@pytest.mark.parametrize(("controller", "level"), EVERY_LEVEL, ids=IDS)
def test_every_controller_takes_an_immediate_win_at_every_level(controller, level):
    column, explanation = controller.choose(WIN_IN_3, 1, level, rng=random.Random(0))
    assert column == 3
    assert "wins with four in a row in column 4" in explanation


@pytest.mark.parametrize(("controller", "level"), EVERY_LEVEL, ids=IDS)
def test_every_controller_blocks_an_immediate_loss_at_every_level(controller, level):
    column, explanation = controller.choose(BLOCK_IN_3, 1, level, rng=random.Random(0))
    assert column == 3
    assert "blocks your four in column 4" in explanation


@pytest.mark.parametrize(("controller", "level"), EVERY_LEVEL, ids=IDS)
def test_winning_comes_before_blocking(controller, level):
    # X can win in column index 6 (vertically) while O threatens column index 3.
    board = Position.from_moves([6, 0, 6, 1, 6, 2]).rows()
    assert controller.choose(board, 1, level, rng=random.Random(0))[0] == 6


def test_the_rule_controller_names_the_rule_that_decided():
    assert RuleController().choose(BLOCK_IN_3, 1, 3)[1] == "Block a four: blocks your four in column 4"
    column, explanation = RuleController().choose(rows(), 1, 3, rng=random.Random(0))
    assert (column, explanation) == (3, "Prefer the centre: plays column 4, the most central column open")


def test_the_rules_are_data_in_order():
    assert [rule.name for rule in RULES][:2] == ["win", "block"]
    assert all(rule.title and rule.description and callable(rule.apply) for rule in RULES)


def test_the_rule_controller_does_not_give_a_win_away_above_level_one():
    # O wins on the second row of column index 3 if X drops into that empty column now.
    board = rows("OOO...X", "XXO...X")
    column, _ = RuleController().choose(board, 1, 2, rng=random.Random(0))
    assert column != 3


def test_the_strategy_controller_finds_a_forced_win_deeper_than_one_move():
    # X to move: column index 1 or 4 makes an open three on the bottom row, which O cannot block twice.
    board = rows("..OO...", "..XX...")
    column, explanation = StrategyController().choose(board, 1, 2)
    assert column in (1, 4)
    assert "forces a win" in explanation


def test_a_bad_level_is_refused():
    with pytest.raises(ValueError, match="levels are 1 to 5"):
        StrategyController().choose(rows(), 1, 6)
