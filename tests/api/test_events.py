import threading
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from api.ingestion import events
from api.models import ClientUser
from catalog.models import Interaction, Rating
from catalog.services import person_forget, rating_upsert
from tests.api.conftest import own_item
from tests.catalog.test_services import in_thread, wait_until_someone_waits_for_a_lock
from tests.databases import postgresql_only
from tests.factories import ItemFactory, UserFactory

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


def api_counters(partner, item) -> tuple[int, float | None]:
    body = partner.get(f"/api/v1/items/{item.pk}/").json()
    return body["rating_count"], body["rating_avg"]


def test_a_batch_of_ratings_updates_the_counters_the_api_shows(partner):
    first, second = ItemFactory(), ItemFactory()
    rating_upsert(user=UserFactory(), item=first, value=1.0)  # a website rating counts alongside
    rows = [
        {"user": "a", "item": first.pk, "kind": "rating", "value": 4},
        {"user": "b", "item": first.pk, "kind": "rating", "value": 2},
        {"user": "a", "item": first.pk, "kind": "rating", "value": 5},  # a's rating changes within the batch
        {"user": "a", "item": second.pk, "kind": "rating", "value": 3.5},
        {"user": "a", "item": second.pk, "kind": "view"},
    ]
    assert partner.post(URL, rows).json() == {"accepted": 5, "duplicates": 0, "errors": []}
    assert api_counters(partner, first) == (3, 8 / 3)
    assert api_counters(partner, second) == (1, 3.5)

    partner.post(URL, {"user": "b", "item": first.pk, "kind": "rating", "value": 0.5})
    assert api_counters(partner, first) == (3, 6.5 / 3)


def _deleting_after_resolution(monkeypatch, external_id: str) -> None:
    """Delete a person right after the batch has mapped its user ids: a deletion that won the race."""
    real = events.client_users_ensure

    def ensure_then_delete(*, client, external_ids, ordered=()):
        mapping = real(client=client, external_ids=external_ids, ordered=ordered)
        get_user_model().objects.filter(pk=mapping[external_id]).delete()
        return mapping

    monkeypatch.setattr(events, "client_users_ensure", ensure_then_delete)


def test_rows_of_a_person_deleted_under_the_batch_are_refused_and_the_others_kept(partner, monkeypatch):
    item = ItemFactory()
    send = [{"user": "gone", "item": item.pk, "kind": "view"}]
    assert partner.post(URL, send).status_code == 200
    _deleting_after_resolution(monkeypatch, "gone")

    response = partner.post(
        URL,
        [
            {"user": "stays", "item": item.pk, "kind": "rating", "value": 4},
            {"user": "gone", "item": item.pk, "kind": "rating", "value": 1},
            {"user": "gone", "item": item.pk, "kind": "play"},
        ],
    )

    assert response.status_code == 207
    body = response.json()
    assert body["accepted"] == 1
    assert [e["index"] for e in body["errors"]] == [1, 2]
    assert body["errors"][0]["errors"]["user"][0].startswith("Unknown user 'gone'")
    assert not ClientUser.objects.filter(external_id="gone").exists()
    assert Rating.objects.get().user.api_identity.external_id == "stays"
    assert api_counters(partner, item) == (1, 4.0)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_batch_that_meets_a_deletion_in_progress_waits_then_refuses_that_persons_rows(partner):
    item = ItemFactory()
    partner.post(URL, [{"user": "gone", "item": item.pk, "kind": "view"}])
    gone = ClientUser.objects.get(external_id="gone").user
    deletion_holds_the_person, deletion_may_commit = threading.Event(), threading.Event()
    reports, errors = [], []

    def deletion():
        with transaction.atomic():
            person_forget(user=gone)
            deletion_holds_the_person.set()
            deletion_may_commit.wait(10)

    def batch():
        deletion_holds_the_person.wait(10)
        rows = [{"user": "gone", "item": item.pk, "kind": "rating", "value": 1},
                {"user": "stays", "item": item.pk, "kind": "rating", "value": 4}]  # fmt: skip
        reports.append(events.events_ingest(client=partner.client, rows=rows))

    threads = [in_thread(deletion, errors), in_thread(batch, errors)]
    wait_until_someone_waits_for_a_lock()  # the batch, on the person being deleted
    deletion_may_commit.set()
    for thread in threads:
        thread.join(10)

    assert errors == []
    (report,) = reports
    assert (report.accepted, [e["index"] for e in report.errors]) == (1, [0])
    assert "Unknown user 'gone'" in report.errors[0]["errors"]["user"][0]
    assert not get_user_model().objects.filter(pk=gone.pk).exists()
    assert api_counters(partner, item) == (1, 4.0)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_batch_and_a_deletion_sharing_an_item_do_not_deadlock(partner):
    item = ItemFactory()
    partner.post(URL, [{"user": "gone", "item": item.pk, "kind": "rating", "value": 5}])
    gone = ClientUser.objects.get(external_id="gone").user
    deletion_holds_the_person, deletion_may_go_on = threading.Event(), threading.Event()
    reports, errors = [], []

    def deletion():
        with transaction.atomic():
            get_user_model().objects.select_for_update().get(pk=gone.pk)
            deletion_holds_the_person.set()
            deletion_may_go_on.wait(10)
            person_forget(user=gone)  # refreshes the item's counters: needs the item's row

    def batch():
        deletion_holds_the_person.wait(10)
        rows = [{"user": "stays", "item": item.pk, "kind": "rating", "value": 4},
                {"user": "gone", "item": item.pk, "kind": "view"}]  # fmt: skip
        reports.append(events.events_ingest(client=partner.client, rows=rows))

    threads = [in_thread(deletion, errors), in_thread(batch, errors)]
    wait_until_someone_waits_for_a_lock()  # the batch, on the person being deleted
    deletion_may_go_on.set()
    for thread in threads:
        thread.join(10)

    assert errors == []
    (report,) = reports
    assert (report.accepted, [e["index"] for e in report.errors]) == (1, [1])
    assert api_counters(partner, item) == (1, 4.0)
