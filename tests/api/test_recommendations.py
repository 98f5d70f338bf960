"""Recommendations through the API: parameters as documented, and a cached answer that is cheap and never stale."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.serializers import RecommendationQuerySerializer
from catalog import params
from experiments.recording import buffer
from recommendations.serving import active_models
from recommendations.training import train_model_version
from tests.factories import ItemFactory, UserFactory

pytestmark = pytest.mark.django_db
PATH = "/api/v1/users/u1/recommendations/"


@pytest.fixture
def shelf(partner):
    hits = [ItemFactory(title=f"Hit {i}", rating_count=20 - i) for i in range(12)]
    response = partner.post("/api/v1/events/", [{"user": "u1", "item": hits[-1].pk, "kind": "view"}])
    assert response.status_code == 200, response.json()
    return hits


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [result["item"]["id"] for result in response.json()["results"]]


def test_the_schema_documents_the_serializer_the_view_validates_with(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("/api/v1/users/{user}/recommendations/", "/api/v1/me/feed/"):
        documented = {p["name"]: p["schema"] for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "query"}
        assert set(documented) == set(RecommendationQuerySerializer().fields)
        limit = documented["limit"]
        assert (limit["minimum"], limit["maximum"], limit["default"]) == (
            params.LIMIT["min_value"],
            params.LIMIT["max_value"],
            20,
        )
        assert documented["genre"]["maxLength"] == params.GENRE["max_length"]


# Edge values where hand-written checks and the documented serializer used to disagree, and plain bad ones.
SAMPLES = {
    "limit": ["1", "100", "0", "101", "-1", "abc", "", "20.0", " 7", "1e2"],
    "kind": ["movie", "series", "opera", "", "Movie"],
    "genre": ["drama", "x" * 64, "x" * 65, "", "   ", " drama "],
    "exclude": ["1", "1,2", ",".join(["1"] * 500), ",".join(["1"] * 501), "1,x", "", "1,", "-1"],
}


@pytest.mark.parametrize("name", SAMPLES)
def test_the_view_accepts_exactly_what_the_serializer_accepts(partner, shelf, name):
    for value in SAMPLES[name]:
        accepted = RecommendationQuerySerializer(data={name: value}).is_valid()
        response = partner.get(PATH, {name: value})
        assert response.status_code == (200 if accepted else 400), (name, value)
        if not accepted:
            error = response.json()["error"]
            assert error["code"] == "invalid" and name in error["details"], error
            assert error["message"].startswith(f"{name}: ")


def test_a_cached_answer_is_one_query_seen_by_django(partner, shelf, settings, monkeypatch):
    settings.API_KEY_CACHE_SECONDS = 3600  # the key's own lookup is not what this counts
    # As served: the list is recorded in this process's buffer, written later by its own thread.
    settings.ENCORE_IMPRESSIONS = "buffered"
    monkeypatch.setattr(buffer, "_start", lambda: None)
    first = ids(partner.get(PATH, {"limit": 5}))
    seen = []
    with (
        CaptureQueriesContext(connection) as queries,
        connection.execute_wrapper(
            lambda execute, sql, params, many, context: seen.append(sql) or execute(sql, params, many, context)
        ),
    ):
        assert ids(partner.get(PATH, {"limit": 5})) == first
    # The freshness check (the user, their history and the listed items) is the only query, and
    # it goes through Django's cursor: logged, wrapped, and unprepared (no server-side state).
    assert len(queries) == 1 and len(seen) == 1, queries.captured_queries
    assert buffer.waiting() == 2
    buffer.clear()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            assert cursor.fetchone()[0] == 0


def test_a_hidden_item_an_edit_and_a_new_event_change_the_next_answer(partner, shelf):
    assert ids(partner.get(PATH, {"limit": 3})) == [hit.pk for hit in shelf[:3]]

    shelf[1].is_active = False
    shelf[1].save(update_fields=["is_active"])
    assert ids(partner.get(PATH, {"limit": 3})) == [shelf[0].pk, shelf[2].pk, shelf[3].pk]

    shelf[0].title = "Hit zero, remastered"
    shelf[0].save()
    assert partner.get(PATH, {"limit": 3}).json()["results"][0]["item"]["title"] == "Hit zero, remastered"

    partner.post("/api/v1/events/", [{"user": "u1", "item": shelf[0].pk, "kind": "not_interested"}])
    assert ids(partner.get(PATH, {"limit": 3})) == [shelf[2].pk, shelf[3].pk, shelf[4].pk]


def test_a_newly_activated_model_changes_the_next_answer(partner, tiny_catalog, media_root):
    first = train_model_version(algorithm="popularity")
    partner.post("/api/v1/events/", [{"user": "fan", "item": tiny_catalog.scifi[0].pk, "kind": "rating", "value": 5}])
    assert partner.get("/api/v1/users/fan/recommendations/").json()["model_version"] == first.pk

    second = train_model_version(force=True)
    active_models.clear()  # as this process does within seconds of an activation

    body = partner.get("/api/v1/users/fan/recommendations/").json()
    assert body["model_version"] == second.pk != first.pk
    assert any(result["reason"].startswith("Because you") for result in body["results"])


def test_the_website_user_feed_follows_the_same_rules(client, shelf):
    browser = client
    browser.force_login(UserFactory(username="member"))
    assert ids(browser.get("/api/v1/me/feed/", {"limit": 2})) == [shelf[0].pk, shelf[1].pk]
    shelf[0].is_active = False
    shelf[0].save(update_fields=["is_active"])
    assert ids(browser.get("/api/v1/me/feed/", {"limit": 2})) == [shelf[1].pk, shelf[2].pk]
    response = browser.get("/api/v1/me/feed/", {"limit": "many"})
    assert response.status_code == 400 and "limit" in response.json()["error"]["details"]
