"""Served lists are recorded: each API list has an id and its variant; the buffered writer loses nothing."""

import uuid

import pytest
from django.contrib.auth import get_user_model

from experiments import recording
from experiments.models import Assignment, Impression
from experiments.recording import impression_record
from experiments.serving import Choice, running_experiments
from tests.api.conftest import make_partner
from tests.factories import ExperimentFactory, ItemFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(db):
    return [ItemFactory(title=f"Hit {i}", rating_count=50 - i) for i in range(12)]


@pytest.fixture
def partner(db):
    return make_partner("Shop", scopes=("read", "write"))


def test_every_list_the_api_serves_has_an_id_and_is_recorded(partner, shelf):
    partner.post("/api/v1/events/", [{"user": "u1", "item": shelf[-1].pk, "kind": "view"}])
    first = partner.get("/api/v1/users/u1/recommendations/", {"limit": 5}).json()
    second = partner.get("/api/v1/users/u1/recommendations/", {"limit": 5}).json()  # a cached answer
    assert first["variant"] == second["variant"] == "control"
    assert first["recommendation_id"] != second["recommendation_id"]
    shown = Impression.objects.get(pk=first["recommendation_id"])
    assert shown.items == [r["item"]["id"] for r in first["results"]]
    assert (shown.placement, shown.variant, shown.experiment_id) == ("api_recommendations", "control", None)
    assert shown.user.api_identity.external_id == "u1"
    for path in ("/api/v1/trending/", f"/api/v1/items/{shelf[0].pk}/similar/"):
        body = partner.get(path).json()
        assert Impression.objects.get(pk=body["recommendation_id"]).items == [i["id"] for i in body["results"]]
        assert body["variant"] == "control"
    assert Impression.objects.count() == 4


def test_a_person_in_a_running_experiment_gets_their_variant_and_keeps_it(partner, shelf):
    experiment = ExperimentFactory(traffic=100, status="running")
    VariantFactory(experiment=experiment, name="popular")
    running_experiments.clear()
    partner.post("/api/v1/events/", [{"user": f"p{n}", "item": shelf[-1].pk, "kind": "view"} for n in range(6)])
    variants = {partner.get(f"/api/v1/users/p{n}/recommendations/").json()["variant"] for n in range(6)}
    assert variants == {"popular"}
    assert set(Assignment.objects.values_list("variant", flat=True)) == {"popular"}
    assert Assignment.objects.count() == 6


def test_turned_off_nothing_is_recorded(partner, shelf, settings):
    settings.ENCORE_IMPRESSIONS = "off"
    partner.post("/api/v1/events/", [{"user": "u1", "item": shelf[-1].pk, "kind": "view"}])
    body = partner.get("/api/v1/users/u1/recommendations/").json()
    assert body["recommendation_id"] is None and body["variant"] == "control"
    assert not Impression.objects.exists()


def test_the_buffer_writes_every_list_in_one_batch_and_keeps_the_others_when_a_person_is_gone(settings, monkeypatch):
    settings.ENCORE_IMPRESSIONS = "buffered"
    monkeypatch.setattr(recording.buffer, "_start", lambda: None)  # no thread: this test flushes
    people = [UserFactory() for _ in range(3)]
    item = ItemFactory()
    ids = [impression_record(workspace_id=item.workspace_id, user_id=p.pk, placement="home", choice=Choice(),
                             model_version_id=None, items=[item.pk]).recommendation_id for p in people]  # fmt: skip
    assert not Impression.objects.exists() and recording.buffer.waiting() == 3
    get_user_model().objects.filter(pk=people[1].pk).delete()
    assert recording.flush() == 2
    assert sorted(str(pk) for pk in Impression.objects.values_list("pk", flat=True)) == sorted([ids[0], ids[2]])
    assert recording.buffer.waiting() == 0


def test_a_full_batch_is_written_by_the_request_that_fills_it(settings, monkeypatch):
    settings.ENCORE_IMPRESSIONS = "buffered"
    monkeypatch.setattr(recording.buffer, "_start", lambda: None)
    monkeypatch.setattr(recording, "BATCH", 10)
    item = ItemFactory()
    for _ in range(10):
        impression_record(workspace_id=item.workspace_id, user_id=None, placement="home", choice=Choice(),
                          model_version_id=None, items=[item.pk])  # fmt: skip
    assert Impression.objects.count() == 10 and recording.buffer.waiting() == 0


def test_recommendation_ids_are_uuids(partner, shelf):
    body = partner.get("/api/v1/trending/").json()
    assert uuid.UUID(body["recommendation_id"]).version == 4
