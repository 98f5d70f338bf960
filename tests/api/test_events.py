from datetime import UTC, datetime

import pytest

from api.models import ClientUser
from catalog.models import Interaction, Rating
from tests.api.conftest import own_item
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/"


def test_it_records_a_single_event_and_creates_the_user(partner):
    item = ItemFactory()
    response = partner.post(URL, {"user": "u-1", "item": item.pk, "kind": "play", "value": 0.8})
    assert response.status_code == 200, response.json()
    assert response.json() == {"accepted": 1, "duplicates": 0, "errors": []}
    identity = ClientUser.objects.get(client=partner.client, external_id="u-1")
    event = Interaction.objects.get(user=identity.user)
    assert (event.item, event.kind, event.value) == (item, "play", 0.8)
    assert not identity.user.has_usable_password()


def test_it_upserts_ratings(partner):
    item = ItemFactory()
    partner.post(URL, {"user": "u-1", "item": item.pk, "kind": "rating", "value": 3.5})
    partner.post(URL, {"user": "u-1", "item": item.pk, "kind": "rating", "value": 5})
    rating = Rating.objects.get()
    assert rating.value == 5.0
    item.refresh_from_db()
    assert (item.rating_count, item.rating_avg) == (1, 5.0)


def test_it_accepts_the_clients_external_item_ids_and_integer_user_ids(partner):
    item = own_item(partner, "sku-9")
    response = partner.post(URL, [{"user": 42, "item": "sku-9", "kind": "like"}])
    assert response.status_code == 200
    assert Interaction.objects.get().item == item
    assert ClientUser.objects.filter(external_id="42").exists()


def test_it_keeps_valid_rows_and_reports_bad_ones_by_index(partner):
    item = ItemFactory()
    rows = [
        {"user": "a", "item": item.pk, "kind": "view"},
        {"user": "a", "item": item.pk, "kind": "teleport"},
        {"user": "b", "item": 999999, "kind": "view"},
        {"user": "b", "item": item.pk, "kind": "rating", "value": 7},
        "not an object",
        {"user": "c", "item": item.pk, "kind": "view", "timestamp": "yesterday"},
        {"user": "c", "item": item.pk, "kind": "rating", "value": 4.5, "timestamp": "2024-03-01T10:00:00Z"},
    ]
    response = partner.post(URL, rows)
    assert response.status_code == 207
    body = response.json()
    assert body["accepted"] == 2
    assert [e["index"] for e in body["errors"]] == [1, 2, 3, 4, 5]
    assert set(body["errors"][0]["errors"]) == {"kind"}
    assert set(body["errors"][1]["errors"]) == {"item"}
    assert set(body["errors"][2]["errors"]) == {"value"}
    assert set(body["errors"][4]["errors"]) == {"timestamp"}
    assert Interaction.objects.count() == 1
    assert Rating.objects.get().updated_at == datetime(2024, 3, 1, 10, tzinfo=UTC)
    # A user whose every row failed is not created.
    assert not ClientUser.objects.filter(external_id="b").exists()


def test_a_single_invalid_event_is_a_400_with_the_error_format(partner):
    response = partner.post(URL, {"user": "", "item": True, "kind": "view"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["details"]) == {"user", "item"}


def test_a_retry_with_the_same_idempotency_key_counts_once(partner):
    item = ItemFactory()
    rows = [{"user": "a", "item": item.pk, "kind": "purchase", "idempotency_key": "order-1"}]
    assert partner.post(URL, rows).json() == {"accepted": 1, "duplicates": 0, "errors": []}
    assert partner.post(URL, rows * 2).json() == {"accepted": 2, "duplicates": 2, "errors": []}
    assert Interaction.objects.count() == 1
    # The same key from another user is another event.
    partner.post(URL, [{**rows[0], "user": "b"}])
    assert Interaction.objects.count() == 2


@pytest.mark.parametrize(
    "body",
    [[], "text", 12, None, [{"user": "a", "item": 1, "kind": "view"}] * 10_001],
    ids=["empty", "string", "number", "null", "too-many"],
)
def test_it_refuses_bodies_that_are_not_events(partner, body):
    response = partner.post(URL, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"invalid", "parse_error"}


def test_malformed_json_is_a_400(partner):
    response = partner.http.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_text_the_database_cannot_store_is_rejected(partner):
    item = ItemFactory()
    body = '[{"user": "a\\u0000b", "item": %d, "kind": "view"}, {"user": "ok", "item": "x\\ud800", "kind": "view"}]'
    response = partner.http.post(URL, body % item.pk, content_type="application/json")
    assert response.status_code == 207
    assert [e["index"] for e in response.json()["errors"]] == [0, 1]


def test_a_big_batch_is_ingested_with_a_handful_of_queries(partner, django_assert_max_num_queries):
    items = [ItemFactory() for _ in range(20)]
    rows = [
        {"user": f"u{i % 300}", "item": items[i % 20].pk, "kind": "rating" if i % 3 == 0 else "view",
         "value": 4.0 if i % 3 == 0 else None, "idempotency_key": None if i % 3 == 0 else f"k{i}"}
        for i in range(3000)
    ]  # fmt: skip
    with django_assert_max_num_queries(60):
        response = partner.post(URL, rows)
    assert response.json()["accepted"] == 3000
    assert Interaction.objects.count() == 2000
    assert ClientUser.objects.count() == 300
