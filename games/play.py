"""A game on the website, move by move: the server holds the board in the visitor's session.

The browser sends only the column it wants; the server checks it is legal, lets
the controller answer, and when the game ends stores it for a signed-in player
(match, ratings, a `play` event). Anonymous visitors play the same way; their
games end with the page.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.utils import timezone

from games.engine import InvalidBoard, Position, column_name
from games.models import Game, Match
from games.selectors import opponent_auto
from games.services import match_outcome, match_record
from games.serving import controller_for

SESSION_KEY = "games:{slug}"


@dataclass
class PlayState:
    engine: str
    level: int
    auto: bool
    player_side: int
    moves: list[int] = field(default_factory=list)
    explanations: list[str] = field(default_factory=list)  # one per controller move
    started_at: str = ""
    version: str | None = None
    result: str | None = None  # win / loss / draw, from the player's side
    rating: float | None = None


class IllegalMove(ValueError):
    pass


def _load(session, game: Game) -> PlayState | None:
    raw = session.get(SESSION_KEY.format(slug=game.slug))
    return PlayState(**raw) if raw else None


def _save(session, game: Game, state: PlayState) -> None:
    session[SESSION_KEY.format(slug=game.slug)] = asdict(state)


def play_state(*, session, game: Game) -> PlayState | None:
    return _load(session, game)


def play_start(*, session, game: Game, user, engine: str | None, level: int | None, player_side: int) -> PlayState:
    """A new game; "auto" (engine None) picks the controller and level that suit the player's rating."""
    auto = engine is None
    if auto:
        engine, level = opponent_auto(game=game, player=user)
    state = PlayState(engine=engine, level=level, auto=auto, player_side=player_side,
                      started_at=timezone.now().isoformat())  # fmt: skip
    if player_side == 2:
        _controller_moves(game, state)
    _save(session, game, state)
    return state


def play_move(*, session, game: Game, user, column: int) -> PlayState:
    """The player's move and the controller's answer; a finished game is stored for a signed-in player."""
    state = _load(session, game)
    if state is None:
        raise IllegalMove("start a game first")
    if state.result is not None:
        raise IllegalMove("this game is over: start a new one")
    position = Position.from_moves(state.moves)
    if not position.can_play(column):
        raise IllegalMove(f"{column_name(column)} is full")
    state.moves.append(column)
    if match_outcome(state.moves) is None:
        _controller_moves(game, state)
    _finish_if_over(game, state, user)
    _save(session, game, state)
    return state


def _controller_moves(game: Game, state: PlayState) -> None:
    position = Position.from_moves(state.moves)
    controller, version = controller_for(game=game, engine=state.engine)
    column, explanation = controller.choose(position, position.player, state.level)
    state.moves.append(column)
    state.explanations.append(explanation)
    state.version = version


def _finish_if_over(game: Game, state: PlayState, user) -> None:
    try:
        winner = match_outcome(state.moves)
    except InvalidBoard as exc:  # cannot happen for moves checked one by one; never store a corrupt game
        raise IllegalMove(str(exc)) from exc
    if winner is None:
        return
    state.result = "draw" if winner == 0 else "win" if winner == state.player_side else "loss"
    if user is not None and user.is_authenticated:
        match: Match = match_record(
            game=game, player=user, engine=state.engine, level=state.level, auto=state.auto,
            player_side=state.player_side, moves=state.moves, version=state.version,
            started_at=datetime.fromisoformat(state.started_at),
        )  # fmt: skip
        state.rating = round(match.rating_after, 1)
