"""Game pages: the list of games, and a game played move by move against a controller (JSON posts)."""

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from accounts.ratelimits import visitor_limited
from games.engine import ENGINES, RULES, Position
from games.forms import AUTO, MoveForm, NewGameForm
from games.models import Game
from games.play import IllegalMove, PlayState, play_move, play_start, play_state
from games.registry import CONTROLLER_CLASSES, GAMES
from games.selectors import player_matches, player_skill
from games.services import game_ensure, games_ensure


def _game(slug: str) -> Game:
    if slug not in GAMES:
        raise Http404("No such game.")
    return game_ensure(slug=slug)


@require_GET
def games_index(request):
    return render(request, "games/index.html", {"games": games_ensure()})


@require_GET
def game_page(request, slug):
    game = _game(slug)
    engines = [
        {"name": e, "label": CONTROLLER_CLASSES[e].label, "default": CONTROLLER_CLASSES[e].default_level,
         "levels": list(enumerate(CONTROLLER_CLASSES[e].levels, 1))}
        for e in ENGINES
    ]  # fmt: skip
    context = {
        "game": game,
        "engines": engines,
        "rules": RULES,
        "skill": player_skill(game=game, player=request.user),
        "matches": player_matches(game=game, player=request.user),
        "state": _state_json(play_state(session=request.session, game=game)),
    }
    return render(request, "games/connect_four.html", context)


def _too_fast(request) -> bool:
    """Counts this post; whether the visitor went over GAMES_MOVE_RATE_LIMIT."""
    # Every move may run a search: a visitor cannot make the server think without pause.
    return visitor_limited(request, group="games", rate=settings.GAMES_MOVE_RATE_LIMIT)


@require_POST
def game_new(request, slug):
    game = _game(slug)
    if _too_fast(request):
        return _error("Too many moves in a short time: wait a minute.", status=429)
    form = NewGameForm(request.POST)
    if not form.is_valid():
        return _error(" ".join(message for messages in form.errors.values() for message in messages))
    engine = form.cleaned_data["engine"]
    state = play_start(
        session=request.session, game=game, user=request.user, player_side=form.cleaned_data["side"],
        engine=None if engine == AUTO else engine, level=form.cleaned_data["level"],
    )  # fmt: skip
    return JsonResponse(_state_json(state))


@require_POST
def game_move(request, slug):
    game = _game(slug)
    if _too_fast(request):
        return _error("Too many moves in a short time: wait a minute.", status=429)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _error("column: send a column from 0 to 6.")
    try:
        state = play_move(session=request.session, game=game, user=request.user, column=form.cleaned_data["column"])
    except IllegalMove as exc:
        return _error(str(exc))
    return JsonResponse(_state_json(state))


def _error(message: str, *, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _state_json(state: PlayState | None) -> dict | None:
    if state is None:
        return None
    position = Position.from_moves(state.moves)
    return {
        "board": position.rows(),
        "moves": state.moves,
        "engine": state.engine,
        "engine_label": CONTROLLER_CLASSES[state.engine].label,
        "level": state.level,
        "auto": state.auto,
        "player_side": state.player_side,
        "explanations": state.explanations,
        "result": state.result,
        "rating": state.rating,
        "your_turn": state.result is None and position.player == state.player_side,
    }
