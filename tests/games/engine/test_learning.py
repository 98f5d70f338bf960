import numpy as np
import pytest

from games.engine import InvalidArtifact, Position
from games.engine.features import N_FEATURES, features
from games.engine.learning import (
    INITIAL_WEIGHTS,
    TrainingConfig,
    lambda_returns,
    learn_from_game,
    td_step,
    train_value,
    weights_from_bytes,
    weights_to_bytes,
)


def test_a_learning_step_moves_the_value_toward_the_td_target():
    x = np.array([features(Position.from_moves([3, 3, 2]))])
    weights = INITIAL_WEIGHTS.copy()
    before = np.tanh(x @ weights)[0]
    for target in (1.0, -1.0):
        after = np.tanh(x @ td_step(weights, x, np.array([target]), alpha=0.01))[0]
        assert abs(after - target) < abs(before - target)


def test_lambda_returns_alternate_sides_and_end_at_the_outcome():
    values = np.array([0.1, -0.2, 0.3])
    # TD(0): each position's target is minus the next position's value; the last is the outcome.
    assert lambda_returns(values, 1.0, 0.0).tolist() == pytest.approx([0.2, -0.3, 1.0])
    # TD(1): the outcome, seen from each mover's side.
    assert lambda_returns(values, 1.0, 1.0).tolist() == pytest.approx([1.0, -1.0, 1.0])


def test_a_won_game_raises_the_winners_positions_and_an_unfinished_game_teaches_nothing():
    moves = [3, 4, 3, 4, 3, 4, 3]  # X wins vertically in column index 3
    weights = learn_from_game(INITIAL_WEIGHTS, moves, alpha=0.5, lam=1.0)
    winner_before_last = Position.from_moves(moves[:-1])
    x = np.array(features(winner_before_last))
    assert x @ weights > x @ INITIAL_WEIGHTS
    assert learn_from_game(INITIAL_WEIGHTS, moves[:-1], alpha=0.5, lam=1.0) is INITIAL_WEIGHTS


def test_training_learns_from_human_games_and_self_play():
    human = [[3, 4, 3, 4, 3, 4, 3]]
    result = train_value(TrainingConfig(self_play_games=5, curve_every=0), human_games=human)
    assert result.human_games == 1 and result.self_play_games == 5
    assert not np.allclose(result.weights, INITIAL_WEIGHTS)


def test_an_artifact_round_trips_and_damage_is_refused():
    weights = np.linspace(-1, 1, N_FEATURES)
    data = weights_to_bytes(weights)
    assert np.array_equal(weights_from_bytes(data), weights)
    with pytest.raises(InvalidArtifact, match="not a readable .npz"):
        weights_from_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidArtifact, match="finite"):
        weights_from_bytes(weights_to_bytes(np.full(N_FEATURES, np.nan)))
