import pytest

from games.api import MoveRateThrottle
from games.models import GameModelVersion
from games.training import train_learning_version
from tests.api.conftest import make_partner
from tests.games.engine.boards import BLOCK_IN_3, WIN_IN_3, rows

pytestmark = pytest.mark.django_db
MOVE = "/api/v1/games/connect-four/move/"


def test_it_lists_connect_four_with_its_three_engines(partner):
    response = partner.get("/api/v1/games/")
    assert response.status_code == 200
    (game,) = response.json()["results"]
    assert (game["slug"], game["name"]) == ("connect-four", "Connect Four")
    assert game["engines"] == ["rules", "strategy", "learning"]
    assert game["levels"]["strategy"] == {"default": 3, "max": 5}
    assert game["item"] is not None


@pytest.mark.parametrize("engine", ["rules", "strategy", "learning"])
@pytest.mark.parametrize(("board", "words"), [(WIN_IN_3, "wins with four"), (BLOCK_IN_3, "blocks your four")])
def test_every_engine_wins_and_blocks_in_column_3(partner, engine, board, words):
    response = partner.post(MOVE, {"board": board, "player": 1, "engine": engine})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["column"] == 3
    assert words in body["explanation"] and "column 4" in body["explanation"]
    assert body["engine"] == engine
    assert (body["version"] is None) == (engine != "learning")


def test_the_learning_engine_names_the_version_that_answered(partner, tiny_training):
    version = train_learning_version()
    body = partner.post(MOVE, {"board": rows(), "player": 1, "engine": "learning", "level": 1}).json()
    assert body["version"] == f"v{version.pk}" and 0 <= body["column"] <= 6
    assert GameModelVersion.objects.get().status == GameModelVersion.Status.ACTIVE


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"board": rows("...X...", "......."), "player": 2}, "board: floating disc in column 4, row 5 from the top"),
        ({"board": rows("XXX.O.."), "player": 2}, "board: player 1 has 3 discs and player 2 has 1"),
        ({"board": rows("X......"), "player": 1}, "board: it is player 2's turn, not player 1's"),
        ({"board": rows("OOO....", "XXXX..."), "player": 2}, "board: the game is over: player 1 already has four"),
        ({"board": [[0] * 7] * 5, "player": 1}, "board: the board must be a list of 6 rows"),
        ({"board": rows(), "player": 3}, "player: "),
        ({"board": rows(), "player": 1, "level": 4, "engine": "rules"}, "level: rules levels are 1 to 3."),
        ({"board": rows(), "player": 1, "engine": "oracle"}, "engine: "),
    ],
)
def test_invalid_input_is_a_400_naming_the_problem(partner, payload, message):
    response = partner.post(MOVE, {"engine": "strategy", **payload})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"].startswith(message)


def test_it_needs_a_key_with_the_read_scope(client, db):
    assert client.get("/api/v1/games/").status_code == 401
    writer = make_partner("Writer", scopes=("write",))
    response = writer.post(MOVE, {"board": rows(), "player": 1, "engine": "rules"})
    assert response.status_code == 403
    assert "read" in response.json()["error"]["message"]


def test_an_unknown_game_is_a_404(partner):
    response = partner.post("/api/v1/games/chess/move/", {"board": rows(), "player": 1, "engine": "rules"})
    assert response.status_code == 404


def test_moves_are_throttled_with_the_clients_read_budget(db):
    partner = make_partner("Small", throttle_rate="2/min")
    payload = {"board": rows(), "player": 1, "engine": "rules"}
    assert [partner.post(MOVE, payload).status_code for _ in range(3)] == [200, 200, 429]


def test_moves_have_a_budget_of_their_own_besides_the_read_budget(db, monkeypatch):
    # A move may search for a second or more: a client's read budget alone would let it keep every worker busy.
    monkeypatch.setitem(MoveRateThrottle.THROTTLE_RATES, "games_move", "2/min")
    partner = make_partner("Busy")
    payload = {"board": rows(), "player": 1, "engine": "rules"}
    assert [partner.post(MOVE, payload).status_code for _ in range(3)] == [200, 200, 429]
    assert partner.get("/api/v1/games/").status_code == 200  # reads go on
    assert make_partner("Other").post(MOVE, payload).status_code == 200  # per client
    bigger = make_partner("Bigger", throttle_rate="10/min")  # a client's own rate, set by staff, applies to moves
    assert [bigger.post(MOVE, payload).status_code for _ in range(3)] == [200, 200, 200]


def test_both_operations_are_in_the_schema(client, db):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    assert "get" in paths["/api/v1/games/"]
    move = paths["/api/v1/games/{slug}/move/"]["post"]
    assert move["operationId"] == "games_move"
