import pytest
from django.test import Client

from catalog.models import Interaction, Item
from catalog.services import person_forget
from games.engine import Position
from games.models import EngineRating, Match, PlayerSkill
from games.services import game_ensure
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PAGE = "/games/connect-four/"


def play_to_the_end(client, *, engine="rules", level="1", side="1") -> dict:
    state = client.post(PAGE + "new/", {"engine": engine, "level": level, "side": side}).json()
    while state["result"] is None:
        column = Position.from_moves(state["moves"]).legal()[0]
        response = client.post(PAGE + "move/", {"column": column})
        assert response.status_code == 200, response.json()
        state = response.json()
    return state


def test_the_games_page_lists_connect_four_as_a_catalog_game(client):
    response = client.get("/games/")
    assert response.status_code == 200
    item = Item.objects.get(source="games", source_id="connect-four")
    assert item.kind == Item.Kind.GAME
    assert f'href="/items/{item.pk}/"' in response.content.decode()
    assert 'href="/games/connect-four/"' in response.content.decode()


def test_the_game_page_answers_and_lists_the_rules(client):
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Block a four" in html and "Prefer the centre" in html and 'id="board"' in html
    assert client.get("/games/chess/").status_code == 404


def test_an_anonymous_visitor_plays_a_game_that_is_not_stored(client):
    state = play_to_the_end(client)
    assert state["result"] in ("win", "loss", "draw")
    assert state["explanations"] and state["rating"] is None
    assert Match.objects.count() == 0


def test_a_finished_game_of_a_member_is_stored_rated_and_feeds_the_recommender(client):
    user = UserFactory()
    client.force_login(user)
    state = play_to_the_end(client, engine="strategy", level="1", side="2")
    match = Match.objects.get()
    assert (match.player, match.engine, match.level, match.player_side) == (user, "strategy", 1, 2)
    assert match.moves == state["moves"] and match.result == state["result"]
    skill = PlayerSkill.objects.get(player=user)
    assert skill.games_played == 1 and skill.rating == pytest.approx(state["rating"], abs=0.1)
    assert skill.rating != 1200.0
    assert EngineRating.objects.get(engine="strategy", level=1).games_played == 1
    event = Interaction.objects.get(user=user, kind=Interaction.Kind.PLAY)
    assert event.item.source_id == "connect-four"
    assert f"Your rating: <strong>{skill.rating:.0f}</strong>" in client.get(PAGE).content.decode()


def test_a_winning_move_posted_twice_at_once_is_stored_and_rated_once(client):
    user = UserFactory()
    client.force_login(user)
    client.post(PAGE + "new/", {"engine": "rules", "level": "1", "side": "1"})
    session = client.session
    # Three of ours in column 1 and three of theirs in column 2: column 1 wins.
    before = {**session["games:connect-four"], "moves": [0, 1, 0, 1, 0, 1], "explanations": ["x"] * 3}
    session["games:connect-four"] = before
    session.save()
    first = client.post(PAGE + "move/", {"column": 0}).json()
    # A second tab's request read the session before the first one saved it.
    session = client.session
    session["games:connect-four"] = before
    session.save()
    second = client.post(PAGE + "move/", {"column": 0}).json()
    assert first["result"] == second["result"] == "win" and first["rating"] == second["rating"]
    assert Match.objects.count() == 1
    assert PlayerSkill.objects.get(player=user).games_played == 1
    assert Interaction.objects.filter(user=user, kind=Interaction.Kind.PLAY).count() == 1


def test_auto_picks_an_opponent_near_the_players_rating(client):
    user = UserFactory()
    client.force_login(user)
    state = client.post(PAGE + "new/", {"engine": "auto", "side": "1"}).json()
    assert state["auto"] and (state["engine"], state["level"]) == ("rules", 3)  # 1200, as new players start
    PlayerSkill.objects.create(game=game_ensure(slug="connect-four"), player=user, rating=1640)
    state = client.post(PAGE + "new/", {"engine": "auto", "side": "1"}).json()
    assert (state["engine"], state["level"]) == ("strategy", 3)


def test_bad_options_and_moves_are_refused(client):
    assert client.post(PAGE + "move/", {"column": 3}).json() == {"error": "start a game first"}
    response = client.post(PAGE + "new/", {"engine": "rules", "level": "5", "side": "1"})
    assert response.status_code == 400 and "rules levels are 1 to 3" in response.json()["error"]
    client.post(PAGE + "new/", {"engine": "rules", "level": "1", "side": "1"})
    assert client.post(PAGE + "move/", {"column": 9}).status_code == 400


def test_a_full_column_is_refused(client):
    client.post(PAGE + "new/", {"engine": "rules", "level": "1", "side": "1"})
    session = client.session
    session["games:connect-four"]["moves"] = [0, 0, 0, 0, 0, 0]
    session["games:connect-four"]["explanations"] = ["x"] * 3
    session.save()
    response = client.post(PAGE + "move/", {"column": 0})
    assert response.status_code == 400 and response.json()["error"] == "column 1 is full"


def test_moves_need_the_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    assert client.post(PAGE + "new/", {"engine": "rules", "side": "1"}).status_code == 403


def test_a_forgotten_member_leaves_no_games_or_rating_behind(client):
    user = UserFactory()
    client.force_login(user)
    play_to_the_end(client)
    assert Match.objects.filter(player=user).exists() and PlayerSkill.objects.filter(player=user).exists()
    assert person_forget(user=user)
    assert not Match.objects.exists() and not PlayerSkill.objects.exists()
    assert EngineRating.objects.get(engine="rules", level=1).games_played == 1  # the controller's rating stays


def test_a_visitor_cannot_make_the_server_think_without_pause(client, settings):
    settings.GAMES_MOVE_RATE_LIMIT = "3/m"
    client.post(PAGE + "new/", {"engine": "strategy", "level": "1", "side": "1"})
    assert [client.post(PAGE + "move/", {"column": c}).status_code for c in (3, 3, 3)] == [200, 200, 429]
    response = client.post(PAGE + "new/", {"engine": "strategy", "side": "1"})
    assert response.status_code == 429 and "wait a minute" in response.json()["error"]
    elsewhere = Client(REMOTE_ADDR="192.0.2.7")  # another visitor, from another address
    assert elsewhere.post(PAGE + "new/", {"engine": "rules", "side": "1"}).status_code == 200
