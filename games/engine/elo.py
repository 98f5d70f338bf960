"""Elo ratings: expected scores and updates after a game (a draw scores one half)."""

from __future__ import annotations

INITIAL_RATING = 1200.0


def elo_expected(rating: float, opponent: float) -> float:
    """The score `rating` is expected to make against `opponent`, in [0, 1]."""
    return 1.0 / (1.0 + 10.0 ** ((opponent - rating) / 400.0))


def elo_k(games_played: int) -> float:
    # New ratings move fast until the system knows the player, then settle.
    return 40.0 if games_played < 30 else 20.0


def elo_update(rating: float, opponent: float, score: float, *, k: float = 20.0) -> tuple[float, float]:
    """Both ratings after one game; `score` is 1 for a win of `rating`'s side, 0.5 a draw, 0 a loss."""
    if score not in (0.0, 0.5, 1.0):
        raise ValueError(f"score must be 0, 0.5 or 1, got {score!r}")
    delta = k * (score - elo_expected(rating, opponent))
    return rating + delta, opponent - delta


def closest_opponent(rating: float, opponents: dict) -> object:
    """The key of `opponents` (key -> rating) whose expected score against `rating` is nearest one half."""
    if not opponents:
        raise ValueError("no opponents to choose from")
    return min(opponents, key=lambda key: abs(elo_expected(rating, opponents[key]) - 0.5))
