"""Reads for games: a player's rating and matches, and the "auto" opponent."""

from __future__ import annotations

from games.engine.elo import INITIAL_RATING, closest_opponent
from games.models import Game, Match, PlayerSkill
from games.services import engine_ratings_ensure


def player_skill(*, game: Game, player) -> PlayerSkill | None:
    if player is None or not player.is_authenticated:
        return None
    return PlayerSkill.objects.filter(game=game, player=player).first()


def player_matches(*, game: Game, player, limit: int = 10) -> list[Match]:
    if player is None or not player.is_authenticated:
        return []
    return list(Match.objects.filter(game=game, player=player)[:limit])


def opponent_auto(*, game: Game, player) -> tuple[str, int]:
    """The (controller, level) whose rating is nearest the player's: the one that keeps them near 50%."""
    skill = player_skill(game=game, player=player)
    rating = skill.rating if skill is not None else INITIAL_RATING
    ratings = {key: r.rating for key, r in engine_ratings_ensure(game=game).items()}
    return closest_opponent(rating, ratings)
