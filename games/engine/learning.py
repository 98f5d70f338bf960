"""The learning controller: a value function learned by TD(lambda) from games, with a short search on top.

The value is tanh(w . features) (features.py), from the side of the player to
move. Training replays games, self-play and recorded human games alike: for
the positions s_0 ... s_{T-1} before each move, the lambda-return of s_t is
    G_{T-1} = outcome for the last mover (+1 a win, 0 a draw)
    G_t     = (1 - lambda) * -V(s_{t+1}) + lambda * -G_{t+1}
(negated because s_{t+1} is seen from the other player's side), and each
position's value moves toward its return by gradient descent on (G - V)^2 / 2.

Artifacts are one .npz (np.savez, no pickle): weights, feature names, format.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

import numpy as np

from games.engine.board import InvalidBoard, Position, column_name
from games.engine.controllers import Choice, Controller, forced_move, safe_moves
from games.engine.features import FEATURES, N_FEATURES, LinearValue, features
from games.engine.search import SCALE, Search

ARTIFACT_FORMAT = 1
# level -> (search depth in half-moves, seconds allowed)
LEARNING_LEVELS = {1: (1, None), 2: (2, None), 3: (4, 0.15), 4: (6, 0.5), 5: (8, 1.0)}
# Before any training the value knows nothing (0 everywhere): the controller then plays only what
# its short search proves, so the learning curve starts from the search alone.
INITIAL_WEIGHTS = np.zeros(N_FEATURES)


class InvalidArtifact(ValueError):
    """A file that is not a learning controller's artifact, or a damaged one."""


def value_and_features(weights: np.ndarray, positions: list[Position]) -> tuple[np.ndarray, np.ndarray]:
    """(V of shape (T,), features of shape (T, N_FEATURES)), float64."""
    x = np.array([features(p) for p in positions], dtype=np.float64).reshape(-1, N_FEATURES)
    return np.tanh(x @ weights), x


def td_step(weights: np.ndarray, x: np.ndarray, targets: np.ndarray, *, alpha: float) -> np.ndarray:
    """New weights after one gradient step of every row of `x` (T, F) toward its target (T,)."""
    v = np.tanh(x @ weights)
    grad = ((targets - v) * (1.0 - v * v)) @ x
    return weights + alpha * grad


def lambda_returns(values: np.ndarray, outcome: float, lam: float) -> np.ndarray:
    """The lambda-return of each position before a move, given V of each and the last mover's outcome."""
    returns = np.empty_like(values)
    returns[-1] = outcome
    for t in range(len(values) - 2, -1, -1):
        returns[t] = (1.0 - lam) * -values[t + 1] + lam * -returns[t + 1]
    return returns


def game_positions(moves: Iterable[int]) -> tuple[list[Position], float] | None:
    """The positions before each move and the last mover's outcome; None for an unfinished game."""
    positions, position = [], Position.empty()
    for col in moves:
        positions.append(position)
        won = position.wins_with(col)
        position = position.play(col)
        if won:
            return positions, 1.0
    return (positions, 0.0) if position.is_full() else None


def learn_from_game(weights: np.ndarray, moves: list[int], *, alpha: float, lam: float) -> np.ndarray:
    """Weights after one TD(lambda) pass over a finished game (given as its columns); unchanged if unfinished."""
    replay = game_positions(moves)
    if replay is None:
        return weights
    positions, outcome = replay
    values, x = value_and_features(weights, positions)
    return td_step(weights, x, lambda_returns(values, outcome, lam), alpha=alpha / len(positions) ** 0.5)


def self_play_game(value: LinearValue, rng: random.Random, *, epsilon: float) -> list[int]:
    """One game of the value against itself: wins and blocks, else greedy one move ahead, exploring with epsilon."""
    position, moves = Position.empty(), []
    while True:
        forced = forced_move(position)
        candidates = safe_moves(position)
        if forced is not None:
            col = forced[0]
        elif rng.random() < epsilon:
            col = rng.choice(candidates)
        else:
            col = max(candidates, key=lambda c: (-value(position.play(c)), rng.random()))
        moves.append(col)
        if position.wins_with(col):
            return moves
        position = position.play(col)
        if position.is_full():
            return moves


@dataclass
class TrainingConfig:
    self_play_games: int = 3000
    alpha: float = 0.01  # step size at the start of self-play ...
    alpha_half_life: int = 1000  # ... halved after this many games (1/(1 + t/T) decay): later games refine
    lam: float = 0.7
    epsilon: float = 0.15
    average_from: float = 0.25  # the served weights are the mean of those after this fraction of self-play
    seed: int = 42
    human_passes: int = 2  # how many times recorded human games are replayed (they are few and precious)
    curve_every: int = 500  # self-play games between two points of the learning curve (0: no curve)
    curve_games: int = 20  # games against the rule controller per point


@dataclass
class TrainingResult:
    weights: np.ndarray
    self_play_games: int
    human_games: int
    curve: list[tuple[int, float]] = field(default_factory=list)  # (training games, win rate vs rules)


class _Average:
    """Running mean of the weights (Polyak averaging): self-play keeps nudging them; their mean is steadier."""

    def __init__(self) -> None:
        self.total, self.count = None, 0

    def add(self, weights: np.ndarray) -> None:
        self.total = weights.copy() if self.total is None else self.total + weights
        self.count += 1

    def value(self, fallback: np.ndarray) -> np.ndarray:
        return fallback if self.total is None else self.total / self.count


def train_value(
    config: TrainingConfig,
    *,
    human_games: list[list[int]] = (),
    start: np.ndarray | None = None,
    evaluate: Callable[[np.ndarray, int], float] | None = None,
) -> TrainingResult:
    """Learn weights from recorded human games, then from self-play; `evaluate(weights, seed)` draws the curve."""
    rng = random.Random(config.seed)
    weights = np.array(INITIAL_WEIGHTS if start is None else start, dtype=np.float64)
    used = 0
    for _ in range(config.human_passes):
        for moves in human_games:
            before = weights
            weights = learn_from_game(weights, moves, alpha=config.alpha, lam=config.lam)
            used += before is not weights
    curve, average = [], _Average()
    if evaluate and config.curve_every:
        curve.append((0, evaluate(weights, config.seed)))
    average_after = int(config.self_play_games * config.average_from)
    for game in range(1, config.self_play_games + 1):
        moves = self_play_game(LinearValue(weights), rng, epsilon=config.epsilon)
        alpha = config.alpha / (1.0 + game / config.alpha_half_life)
        weights = learn_from_game(weights, moves, alpha=alpha, lam=config.lam)
        if game > average_after:
            average.add(weights)
        if evaluate and config.curve_every and (game % config.curve_every == 0 or game == config.self_play_games):
            curve.append((game, evaluate(average.value(weights), config.seed + game)))
    return TrainingResult(average.value(weights), config.self_play_games, used // max(config.human_passes, 1), curve)


def config_dict(config: TrainingConfig) -> dict:
    return asdict(config)


# --- Artifacts ---------------------------------------------------------------------------------


def weights_to_bytes(weights: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, weights=np.asarray(weights, dtype=np.float64), features=np.array(FEATURES),
             format=np.array(ARTIFACT_FORMAT))  # fmt: skip
    return buffer.getvalue()


def weights_from_bytes(data: bytes) -> np.ndarray:
    """The weights stored in an artifact; raises InvalidArtifact saying what is wrong with it."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except Exception as exc:
        raise InvalidArtifact(f"not a readable .npz file ({type(exc).__name__}: {exc})") from exc
    missing = {"weights", "features", "format"} - set(arrays)
    if missing:
        raise InvalidArtifact(f"missing {', '.join(sorted(missing))}")
    if int(arrays["format"]) != ARTIFACT_FORMAT:
        raise InvalidArtifact(f"format {int(arrays['format'])} is not {ARTIFACT_FORMAT}")
    if tuple(arrays["features"].tolist()) != FEATURES:
        raise InvalidArtifact("its features are not the ones this code computes")
    weights = arrays["weights"]
    if weights.shape != (N_FEATURES,) or weights.dtype != np.float64 or not np.all(np.isfinite(weights)):
        raise InvalidArtifact(f"weights must be {N_FEATURES} finite float64 numbers")
    return weights


# --- The controller ------------------------------------------------------------------------------


class LearningController(Controller):
    name = "learning"
    label = "Learning engine (TD self-play)"
    levels = ("its learned judgement alone", "looks 2 moves ahead", "looks 4 moves ahead", "looks 6 moves ahead",
              "looks 8 moves ahead")  # fmt: skip
    default_level = 3

    def __init__(self, weights=INITIAL_WEIGHTS, version: str | None = None) -> None:
        self.value = LinearValue(weights)
        self.version = version

    def decide(self, position: Position, level: int, rng: random.Random) -> Choice:
        depth, seconds = LEARNING_LEVELS[level]
        result = Search(self.value).best_move(position, max_depth=depth, seconds=seconds)
        where = column_name(result.column)
        if result.wins:
            return result.column, f"plays {where}: it sees a forced win"
        if result.loses:
            return result.column, f"plays {where}: every move loses, this one holds out longest"
        chance = (result.score / SCALE + 1) / 2
        return (
            result.column,
            f"plays {where}: its learned judgement gives it {chance:.0%} after looking {result.depth} moves ahead",
        )


__all__ = ["InvalidArtifact", "InvalidBoard", "LearningController", "TrainingConfig", "train_value"]
