import pytest
from django.test import Client

from catalog.models import Interaction, Rating
from tests.api.conftest import make_partner
from tests.factories import ItemFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(db):
    user = UserFactory(username="member")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    return user, browser


def csrf_token(browser) -> str:
    browser.get("/api/v1/me/feed/")  # any request: the token comes with the login session
    from django.middleware.csrf import _get_new_csrf_string

    token = _get_new_csrf_string()
    browser.cookies["csrftoken"] = token
    return token


def test_a_website_user_gets_their_feed(member):
    _, browser = member
    hit = ItemFactory(rating_count=3)
    body = browser.get("/api/v1/me/feed/").json()
    assert [r["item"]["id"] for r in body["results"]] == [hit.pk]


def test_website_users_do_not_see_partner_items(member):
    _, browser = member
    partner = make_partner("Acme", workspace=WorkspaceFactory(slug="acme"))
    ItemFactory(workspace=partner.client.workspace, source="api", source_id="p", rating_count=9)
    shared = ItemFactory(rating_count=1)
    assert [r["item"]["id"] for r in browser.get("/api/v1/me/feed/").json()["results"]] == [shared.pk]


def test_rating_needs_the_csrf_token(member):
    user, browser = member
    item = ItemFactory()
    refused = browser.post("/api/v1/me/ratings/", {"item": item.pk, "value": 4.5}, content_type="application/json")
    assert refused.status_code == 403
    token = csrf_token(browser)
    response = browser.post(
        "/api/v1/me/ratings/", {"item": item.pk, "value": 4.5}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200, response.json()
    assert Rating.objects.get(user=user).value == 4.5
    assert browser.get("/api/v1/me/ratings/").json()["results"][0]["item"]["id"] == item.pk
    assert browser.delete(f"/api/v1/me/ratings/{item.pk}/", HTTP_X_CSRFTOKEN=token).status_code == 204
    assert not Rating.objects.filter(user=user).exists()


def test_events_and_bad_ratings(member):
    user, browser = member
    item = ItemFactory()
    token = csrf_token(browser)
    post = lambda path, data: browser.post(path, data, content_type="application/json", HTTP_X_CSRFTOKEN=token)  # noqa: E731
    assert post("/api/v1/me/events/", {"item": item.pk, "kind": "like"}).status_code == 201
    assert Interaction.objects.get(user=user).kind == "like"
    assert post("/api/v1/me/ratings/", {"item": item.pk, "value": 4.2}).status_code == 400
    assert post("/api/v1/me/ratings/", {"item": 10**9, "value": 4}).status_code == 404


def test_anonymous_visitors_and_api_keys_cannot_use_me(db, client):
    assert client.get("/api/v1/me/feed/").status_code == 403
    assert make_partner("Acme").get("/api/v1/me/feed/").status_code == 403


def test_my_ratings_move_the_items_counters(member):
    _, browser = member
    item = ItemFactory()
    token = csrf_token(browser)

    def post(data):
        return browser.post("/api/v1/me/ratings/", data, content_type="application/json", HTTP_X_CSRFTOKEN=token)

    partner = make_partner()

    def item_counters():
        body = partner.get(f"/api/v1/items/{item.pk}/").json()
        return body["rating_count"], body["rating_avg"]

    post({"item": item.pk, "value": 4.5})
    assert item_counters() == (1, 4.5)
    post({"item": item.pk, "value": 1})
    assert item_counters() == (1, 1.0)
    browser.delete(f"/api/v1/me/ratings/{item.pk}/", HTTP_X_CSRFTOKEN=token)
    assert item_counters() == (0, None)
