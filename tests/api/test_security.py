"""The acceptance list of issue 6: credentials, client isolation, mass assignment, revocation, throttles."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from api.models import ApiClient, ClientUser
from api.throttling import IngestionRateThrottle
from catalog.models import Interaction, Item
from tests.api.conftest import make_partner, own_item
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db
PUBLIC = {"/api/v1/health/", "/api/schema/", "/api/docs/"}
SAMPLE_ARGS = {"pk": "1", "item": "1", "user": "someone", "slug": "connect-four"}


def api_routes():
    """Every concrete /api/ route with the HTTP methods its view answers."""

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern.callback

    for route, view in walk(get_resolver().url_patterns, "/"):
        if not route.startswith("/api/") or "^" in route:
            continue  # the JSON 404 catch-all is not a route
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE_ARGS[m.group(1)], route)
        methods = [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view.view_class, m)]
        yield path, methods


ROUTES = list(api_routes())


def test_the_route_list_covers_the_api():
    paths = {path for path, _ in ROUTES}
    assert {"/api/v1/events/", "/api/v1/items/", "/api/v1/users/someone/recommendations/", "/api/v1/me/feed/"} <= paths
    assert paths >= PUBLIC


@pytest.mark.parametrize(("path", "methods"), [r for r in ROUTES if r[0] not in PUBLIC], ids=lambda v: str(v))
def test_every_route_refuses_requests_without_credentials(client, path, methods):
    for method in methods:
        response = getattr(client, method)(path, content_type="application/json")
        assert response.status_code in (401, 403), (method, path, response.status_code)
        assert response.json()["error"]["code"] in {"not_authenticated", "authentication_failed", "permission_denied"}


@pytest.mark.parametrize("path", sorted(PUBLIC))
def test_only_the_public_allow_list_answers_without_credentials(client, path):
    assert client.get(path).status_code == 200


def test_an_unknown_key_is_refused_with_401(client):
    response = client.get("/api/v1/items/", HTTP_AUTHORIZATION="Api-Key enc_nope")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json()["error"] == {
        "code": "authentication_failed", "message": "Unknown API key.", "details": None
    }  # fmt: skip


def test_a_revoked_key_is_refused(partner):
    assert partner.get("/api/v1/items/").status_code == 200
    partner.client.revoke()
    response = partner.get("/api/v1/items/")
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]


def test_keys_are_stored_hashed(partner):
    stored = ApiClient.objects.get(pk=partner.client.pk)
    assert partner.key not in (stored.key_hash, stored.key_prefix)
    assert stored.key_hash == ApiClient.hash_key(partner.key)
    assert partner.key.startswith(stored.key_prefix)


def test_a_read_only_key_cannot_write(db):
    reader = make_partner("Reader", scopes=["read"])
    assert reader.get("/api/v1/items/").status_code == 200
    response = reader.post("/api/v1/events/", {"user": "a", "item": ItemFactory().pk, "kind": "view"})
    assert response.status_code == 403
    assert "write" in response.json()["error"]["message"]
    assert Interaction.objects.count() == 0


# --- Client isolation -----------------------------------------------------------------------


@pytest.fixture
def a_world(tenant_partner):
    """Client A (workspace "initech") with two items and a user with history."""
    item = own_item(tenant_partner, "a-secret", title="A's secret film")
    other = own_item(tenant_partner, "a-other", title="A's other film")
    tenant_partner.post("/api/v1/events/", [{"user": "alice", "item": item.pk, "kind": "rating", "value": 5},
                                            {"user": "alice", "item": other.pk, "kind": "like"}])  # fmt: skip
    return item, other


def test_client_b_gets_404_on_every_object_of_client_a(a_world, other_partner):
    item, _ = a_world
    b = other_partner
    for path in [
        f"/api/v1/items/{item.pk}/",
        f"/api/v1/items/{item.pk}/similar/",
        "/api/v1/users/alice/",
        "/api/v1/users/alice/recommendations/",
    ]:
        response = b.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    assert b.delete(f"/api/v1/items/{item.pk}/").status_code == 404
    assert b.delete("/api/v1/users/alice/").status_code == 404
    assert Item.objects.get(pk=item.pk).is_active
    assert ClientUser.objects.filter(external_id="alice").exists()


def test_client_b_never_sees_client_a_users_or_items_in_lists(a_world, other_partner):
    item, other = a_world
    b = other_partner
    mine = own_item(b, "b-film", title="B's film")
    b.post("/api/v1/events/", {"user": "bob", "item": mine.pk, "kind": "view"})
    assert [u["id"] for u in b.get("/api/v1/users/").json()["results"]] == ["bob"]
    listed = {i["id"] for i in b.get("/api/v1/items/", {"page_size": 500}).json()["results"]}
    assert mine.pk in listed and item.pk not in listed and other.pk not in listed
    assert b.get("/api/v1/items/", {"external_id": "a-secret"}).json()["count"] == 0
    assert item.pk not in {i["id"] for i in b.get("/api/v1/trending/").json()["results"]}
    recommended = b.get("/api/v1/users/bob/recommendations/").json()["results"]
    assert item.pk not in {r["item"]["id"] for r in recommended}


def test_client_b_cannot_send_events_on_client_a_items(a_world, other_partner):
    item, _ = a_world
    by_pk = other_partner.post("/api/v1/events/", {"user": "bob", "item": item.pk, "kind": "view"})
    by_external = other_partner.post("/api/v1/events/", {"user": "bob", "item": "a-secret", "kind": "view"})
    assert by_pk.status_code == by_external.status_code == 400
    assert Interaction.objects.filter(item=item).count() == 0


def test_the_same_user_id_in_two_workspaces_is_two_people(a_world, other_partner):
    mine = own_item(other_partner, "b-film")
    other_partner.post("/api/v1/events/", {"user": "alice", "item": mine.pk, "kind": "view"})
    identities = ClientUser.objects.filter(external_id="alice")
    assert identities.count() == 2
    assert len({identity.user_id for identity in identities}) == 2


# --- Mass assignment ------------------------------------------------------------------------------


def test_item_upsert_ignores_fields_a_client_must_not_set(partner, other_partner):
    response = partner.post(
        "/api/v1/items/",
        [{"external_id": "x1", "title": "Mine", "id": 1, "client": other_partner.client.pk, "user": 1,
          "is_staff": True, "is_active": False, "source": "movielens", "rating_count": 999}],
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    item = Item.objects.get(source_id="x1")
    assert (item.workspace, item.source) == (partner.client.workspace, "api")
    assert (item.is_active, item.rating_count) == (True, 0)


def test_events_ignore_fields_a_client_must_not_set(partner):
    item = ItemFactory()
    partner.post("/api/v1/events/", {"user": "eve", "item": item.pk, "kind": "view", "is_staff": True,
                                     "is_superuser": True, "client": 999, "id": 1})  # fmt: skip
    person = ClientUser.objects.get(external_id="eve", workspace=partner.client.workspace).user
    assert not person.is_staff and not person.is_superuser


# --- Throttles --------------------------------------------------------------------------------------


def test_a_client_over_its_rate_gets_429_with_retry_after(db):
    limited = make_partner("Limited", throttle_rate="2/min")
    assert [limited.get("/api/v1/items/").status_code for _ in range(2)] == [200, 200]
    response = limited.get("/api/v1/items/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "throttled"
    # Another client's budget is its own.
    assert make_partner("Fresh").get("/api/v1/items/").status_code == 200


def test_writes_have_their_own_budget(partner, monkeypatch):
    monkeypatch.setattr(IngestionRateThrottle, "THROTTLE_RATES", {"client_write": "1/min"})
    item = ItemFactory()
    assert partner.post("/api/v1/events/", {"user": "a", "item": item.pk, "kind": "view"}).status_code == 200
    assert partner.post("/api/v1/events/", {"user": "a", "item": item.pk, "kind": "view"}).status_code == 429
    assert partner.get("/api/v1/items/").status_code == 200
