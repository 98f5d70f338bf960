"""/api/v1/diversity/: a partner sets how spread each placement's lists are, with scope `rules`, and the
lists it is served follow."""

import pytest

from recommendations.models import DiversitySetting
from tests.api.conftest import make_partner
from tests.factories import GenreFactory, ItemFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db
PATH = "/api/v1/diversity/"
RECS = "/api/v1/users/u1/recommendations/"


@pytest.fixture
def merchant(db):
    return make_partner("Shop", scopes=("read", "write", "rules"))


@pytest.fixture
def drama_heavy(merchant):
    """The 20 most popular films are dramas, then 10 comedies and 10 westerns; u1 viewed something else."""
    genres = [GenreFactory(name=name) for name in ("Drama", "Comedy", "Western")]
    films = [ItemFactory(title=f"F{n}", rating_count=100 - n, genres=[genres[0 if n < 20 else 1 + n % 2]])
             for n in range(40)]  # fmt: skip
    merchant.post("/api/v1/events/", [{"user": "u1", "item": ItemFactory(title="Seen").pk, "kind": "view"}])
    return films


def dramas(partner, path=RECS, **params) -> int:
    response = partner.get(path, {"limit": 10, **params})
    assert response.status_code == 200, response.json()
    listed = [r.get("item", r) for r in response.json()["results"]]
    assert len(listed) == 10
    return sum("Drama" in item["genres"] for item in listed)


def test_a_partner_creates_reads_changes_and_deletes_a_setting(merchant):
    created = merchant.post(PATH, {"placement": "api_recommendations", "diversity": 0.7, "cap_per_genre": 4})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["placement"], body["diversity"], body["cap_per_genre"], body["cap_per_creator"]) == (
        "api_recommendations", 0.7, 4, None,
    )  # fmt: skip
    assert merchant.get(f"{PATH}{body['id']}/").json()["diversity"] == 0.7
    assert [s["id"] for s in merchant.get(PATH).json()["results"]] == [body["id"]]
    patched = merchant.http.patch(f"{PATH}{body['id']}/", {"cap_per_genre": None}, format="json")
    assert patched.status_code == 200 and patched.json()["cap_per_genre"] is None
    replaced = merchant.http.put(f"{PATH}{body['id']}/", {"placement": "", "diversity": 0.2}, format="json")
    assert replaced.status_code == 200, replaced.json()
    assert DiversitySetting.objects.get().placement == ""
    assert merchant.delete(f"{PATH}{body['id']}/").status_code == 204
    assert not DiversitySetting.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"diversity": 1.5}, "diversity"),
        ({"diversity": -0.1}, "diversity"),
        ({"diversity": "much"}, "diversity"),
        ({"diversity": True}, "diversity"),
        ({"cap_per_genre": 0}, "cap_per_genre"),
        ({"cap_per_creator": 2.5}, "cap_per_creator"),
        ({"placement": "sidebar"}, "placement"),
    ],
)
def test_an_invalid_setting_is_refused_with_an_error_on_its_field(merchant, body, field):
    response = merchant.post(PATH, body)
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not DiversitySetting.objects.exists()


def test_a_placement_has_one_setting(merchant):
    assert merchant.post(PATH, {"placement": "api_trending", "diversity": 0.5}).status_code == 201
    again = merchant.post(PATH, {"placement": "api_trending", "diversity": 0.1})
    assert again.status_code == 400
    assert "exists already" in str(again.json()["error"]["details"]["placement"])
    assert DiversitySetting.objects.get().diversity == 0.5


def test_a_partner_never_sees_or_changes_another_workspaces_settings(merchant):
    other = make_partner("Other", scopes=("rules",), workspace=WorkspaceFactory(slug="other"))
    theirs = other.post(PATH, {"placement": "", "diversity": 0.9}).json()["id"]
    assert merchant.get(PATH).json()["results"] == []
    assert merchant.get(f"{PATH}{theirs}/").status_code == 404
    assert merchant.http.patch(f"{PATH}{theirs}/", {"diversity": 0}, format="json").status_code == 404
    assert merchant.delete(f"{PATH}{theirs}/").status_code == 404
    assert merchant.post(PATH, {"placement": "", "diversity": 0.1}).status_code == 201  # its own "every list"
    assert DiversitySetting.objects.get(pk=theirs).diversity == 0.9


@pytest.mark.parametrize("method", ["get", "post"])
def test_settings_need_the_rules_scope(partner, method):
    response = getattr(partner, method)(PATH, *([{"diversity": 1}] if method == "post" else []))
    assert response.status_code == 403
    assert "'rules' scope" in str(response.json())


def test_the_schema_documents_the_diversity_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/diversity/"])
    assert {"get", "put", "patch", "delete"} <= set(schema["paths"]["/api/v1/diversity/{id}/"])


def test_the_placements_setting_spreads_a_cached_list_at_once(merchant, drama_heavy):
    assert dramas(merchant) == 10
    assert dramas(merchant) == 10  # cached
    setting = merchant.post(PATH, {"placement": "api_recommendations", "diversity": 1}).json()
    assert dramas(merchant) <= 6
    assert dramas(merchant, diversity=0) == 10  # the parameter replaces the setting's weight
    merchant.delete(f"{PATH}{setting['id']}/")
    assert dramas(merchant) == 10


def test_caps_hold_whatever_the_diversity_parameter_says(merchant, drama_heavy):
    merchant.post(PATH, {"placement": "", "cap_per_genre": 4})
    assert dramas(merchant, diversity=0) == 4
    assert dramas(merchant, "/api/v1/trending/") == 4


def test_a_placement_setting_beats_the_setting_for_every_list(merchant, drama_heavy):
    merchant.post(PATH, {"placement": "", "diversity": 1})
    merchant.post(PATH, {"placement": "api_trending", "diversity": 0})
    assert dramas(merchant) <= 6
    assert dramas(merchant, "/api/v1/trending/") == 10
    assert dramas(merchant, "/api/v1/trending/", placement="api_recommendations") <= 6
