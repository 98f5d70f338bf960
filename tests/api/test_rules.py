"""/api/v1/rules/: a partner manages its workspace's rules, with scope `rules`, and nobody else's."""

import pytest

from recommendations.models import Rule
from tests.api.conftest import make_partner
from tests.factories import GenreFactory, ItemFactory, TagFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db
PATH = "/api/v1/rules/"


@pytest.fixture
def merchant(db):
    return make_partner("Shop", scopes=("read", "write", "rules"))


def test_a_partner_creates_reads_changes_and_deletes_a_rule(merchant):
    film = ItemFactory(title="Premiere")
    created = merchant.post(PATH, {"name": "Premiere first", "action": "pin", "position": 1, "target": "item",
                                   "item": film.pk, "placement": "api_recommendations"})  # fmt: skip
    assert created.status_code == 201, created.json()
    rule_id = created.json()["id"]
    assert merchant.get(f"{PATH}{rule_id}/").json()["item"] == film.pk
    assert [r["id"] for r in merchant.get(PATH).json()["results"]] == [rule_id]

    patched = merchant.http.patch(f"{PATH}{rule_id}/", {"position": 3}, format="json")
    assert patched.status_code == 200, patched.json()
    assert Rule.objects.get(pk=rule_id).position == 3

    replaced = merchant.http.put(
        f"{PATH}{rule_id}/", {"name": "Dramas up", "action": "boost", "weight": 1.5, "target": "genre",
                              "genre": GenreFactory(name="Drama").name}, format="json",
    )  # fmt: skip
    assert replaced.status_code == 200, replaced.json()
    assert replaced.json()["genre"] == "drama"
    assert merchant.delete(f"{PATH}{rule_id}/").status_code == 204
    assert not Rule.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "boost", "weight": 0.5, "target": "kind", "kind": "movie"}, "weight"),
        ({"action": "pin", "target": "item"}, "position"),
        ({"action": "pin", "position": 1, "target": "kind", "kind": "movie"}, "target"),
        ({"action": "block", "target": "genre"}, "genre"),
        ({"action": "block", "target": "genre", "genre": "no-such-genre"}, "genre"),
        ({"action": "block", "target": "kind", "kind": "opera"}, "kind"),
        ({"action": "block", "target": "year_range"}, "year_min"),
        ({"action": "block", "target": "year_range", "year_min": 2000, "year_max": 1990}, "year_max"),
        ({"action": "block", "target": "new"}, "new_days"),
        ({"action": "block", "target": "creator"}, "creator"),
        ({"action": "block", "target": "tag", "tag": "nope"}, "tag"),
        ({"action": "block", "target": "item", "item": 10**9}, "item"),
        ({"action": "smash", "target": "kind", "kind": "movie"}, "action"),
        ({"action": "block", "target": "kind", "kind": "movie", "placement": "sidebar"}, "placement"),
        ({"action": "block", "target": "kind", "kind": "movie", "starts_at": "2030-01-02T00:00:00Z",
          "ends_at": "2030-01-01T00:00:00Z"}, "ends_at"),
    ],
)  # fmt: skip
def test_an_invalid_rule_is_refused_with_an_error_on_its_field(merchant, body, field):
    response = merchant.post(PATH, {"name": "r", **body})
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not Rule.objects.exists()


def test_targets_of_another_workspace_are_refused(merchant):
    elsewhere = WorkspaceFactory(slug="elsewhere")
    foreign_item = ItemFactory(workspace=elsewhere)
    GenreFactory(workspace=elsewhere, name="Noir")
    TagFactory(workspace=elsewhere, name="heist")
    for body, field in (
        ({"target": "item", "item": foreign_item.pk}, "item"),
        ({"target": "genre", "genre": "Noir"}, "genre"),
        ({"target": "tag", "tag": "heist"}, "tag"),
    ):
        response = merchant.post(PATH, {"name": "r", "action": "block", **body})
        assert response.status_code == 400
        assert field in response.json()["error"]["details"]
    assert not Rule.objects.exists()


def test_a_partner_never_sees_or_changes_another_workspaces_rules(merchant):
    other = make_partner("Other", scopes=("rules",), workspace=WorkspaceFactory(slug="other"))
    theirs = other.post(PATH, {"name": "Theirs", "action": "block", "target": "kind", "kind": "game"}).json()["id"]
    assert merchant.get(PATH).json()["results"] == []
    assert merchant.get(f"{PATH}{theirs}/").status_code == 404
    assert merchant.http.patch(f"{PATH}{theirs}/", {"name": "Mine"}, format="json").status_code == 404
    assert merchant.delete(f"{PATH}{theirs}/").status_code == 404
    assert Rule.objects.get(pk=theirs).name == "Theirs"


@pytest.mark.parametrize("method", ["get", "post"])
def test_rules_need_the_rules_scope_for_reading_and_writing(partner, method):
    response = getattr(partner, method)(PATH, *([{"name": "r"}] if method == "post" else []))
    assert response.status_code == 403
    assert "'rules' scope" in str(response.json())


def test_the_schema_documents_the_rules_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/rules/"])
    assert {"get", "put", "patch", "delete"} <= set(schema["paths"]["/api/v1/rules/{id}/"])


RECS = "/api/v1/users/u1/recommendations/"


@pytest.fixture
def popular(merchant):
    """Twelve films, most popular first, and a user u1 who viewed the last one."""
    hits = [ItemFactory(title=f"Hit {i}", rating_count=20 - i) for i in range(12)]
    assert merchant.post("/api/v1/events/", [{"user": "u1", "item": hits[-1].pk, "kind": "view"}]).status_code == 200
    return hits


def served(partner, path=RECS, **params) -> list[dict]:
    response = partner.get(path, params)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_a_cached_list_follows_a_rule_created_and_deleted_a_moment_ago(merchant, popular):
    before = served(merchant)
    assert served(merchant) == before  # cached
    obscure = ItemFactory(title="Least popular documentary", rating_count=0)
    pin = merchant.post(PATH, {"name": "Doc", "action": "pin", "position": 1, "target": "item", "item": obscure.pk})
    first = served(merchant)[0]
    assert (first["item"]["id"], first["reason"], first["rule"]) == (obscure.pk, "Featured", pin.json()["id"])
    merchant.delete(f"{PATH}{pin.json()['id']}/")
    assert obscure.pk not in [r["item"]["id"] for r in served(merchant)]


def test_a_block_of_a_genre_removes_all_its_items(merchant, popular):
    drama = GenreFactory(name="Drama")
    for item in popular[::2]:
        item.genres.add(drama)
    assert (
        merchant.post(PATH, {"name": "No drama", "action": "block", "target": "genre", "genre": "drama"}).status_code
        == 201
    )
    listed = {r["item"]["id"] for r in served(merchant)}
    assert listed and not listed & {item.pk for item in popular[::2]}


def test_the_placement_parameter_chooses_whose_rules_apply(merchant, popular):
    merchant.post(PATH, {"name": "Home only", "action": "block", "target": "item", "item": popular[0].pk,
                         "placement": "home"})  # fmt: skip
    assert served(merchant)[0]["item"]["id"] == popular[0].pk
    assert popular[0].pk not in [r["item"]["id"] for r in served(merchant, placement="home")]


def test_similar_and_trending_follow_their_placements_rules(merchant, popular):
    merchant.post(PATH, {"name": "x", "action": "block", "target": "item", "item": popular[1].pk,
                         "placement": "api_trending"})  # fmt: skip
    trending = served(merchant, "/api/v1/trending/")
    assert popular[1].pk not in [i["id"] for i in trending] and popular[2].pk in [i["id"] for i in trending]


@pytest.mark.parametrize("path", [RECS, "/api/v1/trending/", "/api/v1/items/{pk}/similar/"])
@pytest.mark.parametrize(("name", "value"), [("diversity", "1.5"), ("diversity", "-0.1"), ("diversity", "much"),
                                             ("placement", "sidebar"), ("placement", "")])  # fmt: skip
def test_placement_and_diversity_are_validated(merchant, popular, path, name, value):
    response = merchant.get(path.format(pk=popular[0].pk), {name: value})
    assert response.status_code == 400
    assert name in response.json()["error"]["details"]


@pytest.mark.parametrize("value", ["0", "0.5", "1"])
def test_diversity_within_zero_and_one_is_accepted(merchant, popular, value):
    assert len(served(merchant, diversity=value)) == 11


@pytest.fixture
def one_genre_on_top(merchant):
    """The 20 most popular films are dramas, then 10 comedies and 10 westerns; u1 viewed something else."""
    genres = [GenreFactory(name=name) for name in ("Drama", "Comedy", "Western")]
    films = [ItemFactory(title=f"F{n}", rating_count=100 - n, genres=[genres[0 if n < 20 else 1 + n % 2]])
             for n in range(40)]  # fmt: skip
    merchant.post("/api/v1/events/", [{"user": "u1", "item": ItemFactory(title="Seen").pk, "kind": "view"}])
    return films


def drama_share(results) -> float:
    return sum("Drama" in r["item"]["genres"] for r in results) / len(results)


def test_diversity_spreads_the_list_over_genres_and_keeps_pins(merchant, one_genre_on_top):
    plain = served(merchant, limit=10, diversity=0)
    spread = served(merchant, limit=10, diversity=1)
    assert drama_share(plain) == 1.0
    assert len(spread) == 10 and drama_share(spread) <= 0.6
    pinned = one_genre_on_top[-1]
    merchant.post(PATH, {"name": "Pin", "action": "pin", "position": 3, "target": "item", "item": pinned.pk})
    assert served(merchant, limit=10, diversity=1)[2]["item"]["id"] == pinned.pk
