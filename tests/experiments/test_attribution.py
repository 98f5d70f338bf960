"""Attribution: an action on a listed item within the window is credited to the list, once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.services import interaction_record, rating_upsert
from experiments.attribution import attribute_pending
from experiments.models import Engagement, Impression, PendingEngagement
from tests.api.conftest import make_partner
from tests.factories import ItemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(db):
    return [ItemFactory(title=f"Hit {i}", rating_count=50 - i) for i in range(6)]


@pytest.fixture
def person(shelf):
    attribute_pending()  # the first pass starts the cursor: history before it credits nothing
    return UserFactory()


def shown(person, items, *, ago=timedelta(0)) -> Impression:
    return Impression.objects.create(workspace_id=items[0].workspace_id, user=person, placement="top_picks",
                                     items=[i.pk for i in items], shown_at=timezone.now() - ago)  # fmt: skip


def test_a_play_after_a_list_is_credited_with_its_position(person, shelf):
    listed = shown(person, shelf[:4])
    interaction_record(user=person, item=shelf[2], kind="play")
    assert attribute_pending() == 1
    engagement = Engagement.objects.get()
    assert (engagement.impression, engagement.position, engagement.kind, engagement.is_conversion) == (
        listed, 3, "play", True,
    )  # fmt: skip
    assert attribute_pending() == 0  # once


def test_the_latest_list_that_showed_the_item_gets_it(person, shelf):
    shown(person, shelf[:4], ago=timedelta(hours=2))
    latest = shown(person, shelf[1:5], ago=timedelta(hours=1))
    shown(person, shelf[4:], ago=timedelta(minutes=5))  # later, but without the item
    interaction_record(user=person, item=shelf[2], kind="view")
    attribute_pending()
    assert Engagement.objects.get().impression == latest


def test_actions_outside_the_window_or_off_the_list_are_not_credited(person, shelf, settings):
    settings.ENCORE_ATTRIBUTION_HOURS = 24
    shown(person, shelf[:2], ago=timedelta(hours=25))
    shown(person, shelf[2:4], ago=timedelta(hours=1))
    interaction_record(user=person, item=shelf[0], kind="play")  # shown 25 h ago
    interaction_record(user=person, item=shelf[5], kind="play")  # never shown
    interaction_record(user=person, item=shelf[2], kind="skip")  # not an engagement
    rating_upsert(user=person, item=shelf[3], value=3.0)  # below 4
    attribute_pending()
    assert not Engagement.objects.exists()
    rating_upsert(user=person, item=shelf[3], value=4.5)
    attribute_pending()
    assert list(Engagement.objects.values_list("kind", flat=True)) == ["rating"]


def test_a_shorter_window_setting_is_respected(person, shelf, settings):
    settings.ENCORE_ATTRIBUTION_HOURS = 1
    shown(person, shelf[:2], ago=timedelta(hours=2))
    interaction_record(user=person, item=shelf[0], kind="play")
    attribute_pending()
    assert not Engagement.objects.exists()


def test_another_persons_list_is_not_credited(person, shelf):
    shown(UserFactory(), shelf[:3])
    interaction_record(user=person, item=shelf[0], kind="play")
    attribute_pending()
    assert not Engagement.objects.exists()


def test_an_api_event_naming_its_list_is_credited_to_that_list_only(shelf):
    attribute_pending()
    partner = make_partner("Shop", scopes=("read", "write"))
    partner.post("/api/v1/events/", [{"user": "u1", "item": shelf[-1].pk, "kind": "view"}])
    first = partner.get("/api/v1/users/u1/recommendations/", {"limit": 3}).json()
    partner.post("/api/v1/events/", [{"user": "u1", "item": shelf[-2].pk, "kind": "view"}])  # a new list next
    second = partner.get("/api/v1/users/u1/recommendations/", {"limit": 3}).json()
    item = first["results"][0]["item"]["id"]
    assert item in [r["item"]["id"] for r in second["results"]]
    sent = partner.post("/api/v1/events/", [{"user": "u1", "item": item, "kind": "play",
                                             "recommendation_id": first["recommendation_id"]}])  # fmt: skip
    assert sent.status_code == 200, sent.json()
    attribute_pending()
    engagement = Engagement.objects.get(kind="play")
    assert str(engagement.impression_id) == first["recommendation_id"] and engagement.position == 1
    assert not PendingEngagement.objects.exists()


def test_an_invalid_recommendation_id_is_rejected_by_position_and_the_rest_kept(shelf):
    partner = make_partner("Shop", scopes=("read", "write"))
    response = partner.post("/api/v1/events/", [
        {"user": "u1", "item": shelf[0].pk, "kind": "play", "recommendation_id": "not-a-list"},
        {"user": "u1", "item": shelf[1].pk, "kind": "play", "recommendation_id": None},
    ])  # fmt: skip
    assert response.status_code == 207
    body = response.json()
    assert body["accepted"] == 1 and body["errors"][0]["index"] == 0
    assert "recommendation_id" in body["errors"][0]["errors"]


def test_an_action_naming_a_list_not_written_yet_waits_for_it(person, shelf):
    from experiments.attribution import engagements_note

    listed = Impression(workspace_id=shelf[0].workspace_id, user=person, placement="home", items=[shelf[0].pk])
    engagements_note([(person.pk, shelf[0].pk, "click", timezone.now(), str(listed.pk))])
    assert attribute_pending() == 0 and PendingEngagement.objects.count() == 1  # still in a buffer elsewhere
    listed.shown_at = timezone.now() - timedelta(seconds=1)
    listed.save()
    assert attribute_pending() == 1 and not PendingEngagement.objects.exists()
