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
