"""Writes for games: their catalog entries, finished matches, ratings."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from catalog.importers.reader import ImportReport
from catalog.importers.records import ItemRecord, upsert_items
from catalog.models import Interaction, Item
from catalog.services import interaction_record
from core.workspaces import default_workspace_id
from games.engine import Position
from games.engine.elo import elo_k, elo_update
from games.models import EngineRating, Game, Match, PlayerSkill
from games.registry import GAMES

CATALOG_SOURCE = "games"
ENGINE_K = 16.0  # controllers' ratings move more slowly than people's: they play everyone


class UnknownGame(LookupError):
    pass


def game_ensure(*, slug: str) -> Game:
    """The game's row and its catalog item (kind `game`), created on first use; idempotent."""
    spec = GAMES.get(slug)
    if spec is None:
        raise UnknownGame(f"no game {slug!r}; known: {', '.join(GAMES)}")
    game = Game.objects.filter(slug=slug).select_related("item").first()
    if game is not None and game.item_id is not None:
        return game
    with transaction.atomic():
        # Games are titles of the website's catalog (the `default` workspace).
        ids = upsert_items(
            default_workspace_id(),
            CATALOG_SOURCE,
            [ItemRecord(slug, spec.name, spec.year, list(spec.genres), {})],
            ImportReport(),
        )
        Item.objects.filter(pk=ids[slug]).update(kind=Item.Kind.GAME, description=spec.description)
        try:
            with transaction.atomic():
                game, _ = Game.objects.update_or_create(slug=slug, defaults={"name": spec.name, "item_id": ids[slug]})
        except IntegrityError:  # another process created it meanwhile
            game = Game.objects.get(slug=slug)
    return Game.objects.select_related("item").get(pk=game.pk)


def games_ensure() -> list[Game]:
    """Every game the site serves, each with its catalog item (created on first use)."""
    return [game_ensure(slug=slug) for slug in GAMES]


def engine_ratings_ensure(*, game: Game) -> dict[tuple[str, int], EngineRating]:
    spec = GAMES[game.slug]
    existing = {(r.engine, r.level): r for r in EngineRating.objects.filter(game=game)}
    missing = [
        EngineRating(game=game, engine=engine, level=level, rating=rating)
        for (engine, level), rating in spec.engine_ratings.items()
        if (engine, level) not in existing
    ]
    if missing:
        EngineRating.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {(r.engine, r.level): r for r in EngineRating.objects.filter(game=game)}
    return existing


def match_outcome(moves: list[int]) -> int | None:
    """1 or 2 for the winner, 0 for a draw, None while the game goes on; raises InvalidBoard on an illegal move."""
    position = Position.from_moves(moves)
    if position.last_mover_won():
        return 3 - position.player
    return 0 if position.is_full() else None


@transaction.atomic
def match_record(
    *, game: Game, player, engine: str, level: int, auto: bool, player_side: int, moves: list[int],
    started_at: datetime, version: str | None = None,
) -> Match:  # fmt: skip
    """Store a finished game, update the player's and the controller's ratings, record a `play` event.

    Idempotent: the same game (player and `started_at`) is stored and rated once.
    """
    winner = match_outcome(moves)
    if winner is None:
        raise ValueError("the game is not finished")
    score = 0.5 if winner == 0 else 1.0 if winner == player_side else 0.0
    engine_ratings_ensure(game=game)
    skill, _ = PlayerSkill.objects.select_for_update().get_or_create(game=game, player=player)
    # The player's lock taken, a game already stored is this one posted twice at once (two tabs racing
    # on one session): stored and rated once.
    earlier = Match.objects.filter(game=game, player=player, started_at=started_at).first()
    if earlier is not None:
        return earlier
    opponent = EngineRating.objects.select_for_update().get(game=game, engine=engine, level=level)
    before = skill.rating
    skill.rating, _ = elo_update(before, opponent.rating, score, k=elo_k(skill.games_played))
    _, opponent.rating = elo_update(before, opponent.rating, score, k=ENGINE_K)
    result = {1.0: Match.Result.WIN, 0.5: Match.Result.DRAW, 0.0: Match.Result.LOSS}[score]
    skill.games_played += 1
    field = {Match.Result.WIN: "wins", Match.Result.DRAW: "draws", Match.Result.LOSS: "losses"}[result]
    setattr(skill, field, getattr(skill, field) + 1)
    skill.save()
    opponent.games_played += 1
    opponent.save(update_fields=["rating", "games_played"])
    match = Match.objects.create(
        game=game, player=player, engine=engine, level=level, auto=auto, player_side=player_side, moves=moves,
        result=result, rating_before=before, rating_after=skill.rating, version=version or "", started_at=started_at,
    )  # fmt: skip
    # The recommender learns that this person plays this game, like any other play event.
    if game.item_id is not None:
        interaction_record(
            user=player, item=game.item, kind=Interaction.Kind.PLAY, idempotency_key=f"games:match:{match.pk}"
        )
    return match
