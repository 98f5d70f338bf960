"""Each API client sees and writes its own workspace only, within that workspace's quotas."""

import pytest

from catalog.models import Genre, Interaction, Item, Rating
from core.models import Workspace
from tests.api.conftest import make_partner, own_item
from tests.factories import ItemFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(db):
    return make_partner("Acme", workspace=WorkspaceFactory(slug="acme"))


@pytest.fixture
def public(db):
    """The website's client and catalog (workspace `default`)."""
    site = make_partner("Site")
    film = ItemFactory(title="Star Wars", rating_count=50, rating_avg=4.5)
    site.post("/api/v1/events/", {"user": "fan", "item": film.pk, "kind": "rating", "value": 5})
    return site, film


def _acme_world(acme):
    items = [{"external_id": f"a{i}", "title": f"Acme Title {i}", "genres": ["Acme Noir"]} for i in range(6)]
    assert acme.post("/api/v1/items/", items).status_code == 200
    pks = [row["id"] for row in acme.get("/api/v1/items/").json()["results"]]
    events = [{"user": f"p{i % 3}", "item": pk, "kind": "play"} for i, pk in enumerate(pks)]
    assert acme.post("/api/v1/events/", events).json()["accepted"] == 6
    return pks


def test_every_read_endpoint_of_a_client_shows_its_workspace_only(acme, public):
    site, film = public
    pks = _acme_world(acme)

    listed = {i["id"] for i in acme.get("/api/v1/items/", {"page_size": 500}).json()["results"]}
    assert listed == set(pks)
    assert acme.get("/api/v1/items/", {"search": "star wars"}).json()["count"] == 0
    assert acme.get("/api/v1/items/", {"genre": "acme-noir"}).json()["count"] == 6
    assert {i["id"] for i in acme.get("/api/v1/trending/").json()["results"]} <= set(pks)
    assert {i["id"] for i in acme.get(f"/api/v1/items/{pks[0]}/similar/").json()["results"]} <= set(pks)
    assert sorted(u["id"] for u in acme.get("/api/v1/users/").json()["results"]) == ["p0", "p1", "p2"]
    recommended = acme.get("/api/v1/users/p0/recommendations/").json()["results"]
    assert recommended and {r["item"]["id"] for r in recommended} <= set(pks)

    site_items = {i["id"] for i in site.get("/api/v1/items/", {"page_size": 500}).json()["results"]}
    assert site_items == {film.pk}
    assert site.get("/api/v1/items/", {"genre": "acme-noir"}).json()["count"] == 0
    assert not {i["id"] for i in site.get("/api/v1/trending/").json()["results"]} & set(pks)
    assert [u["id"] for u in site.get("/api/v1/users/").json()["results"]] == ["fan"]
    assert not {r["item"]["id"] for r in site.get("/api/v1/users/fan/recommendations/").json()["results"]} & set(pks)


def test_objects_of_another_workspace_answer_404_by_id_and_by_external_id(acme, public):
    site, film = public
    pks = _acme_world(acme)
    for client, foreign_item, foreign_user in [(site, pks[0], "p0"), (acme, film.pk, "fan")]:
        for path in [f"/api/v1/items/{foreign_item}/", f"/api/v1/items/{foreign_item}/similar/",
                     f"/api/v1/users/{foreign_user}/", f"/api/v1/users/{foreign_user}/recommendations/"]:  # fmt: skip
            response = client.get(path)
            assert response.status_code == 404, path
        assert client.delete(f"/api/v1/items/{foreign_item}/").status_code == 404
        assert client.delete(f"/api/v1/users/{foreign_user}/").status_code == 404
    assert site.get("/api/v1/items/", {"external_id": "a0"}).json()["count"] == 0
    assert Item.objects.get(pk=pks[0]).is_active


def test_events_on_another_workspace_s_items_are_rejected_by_position(acme, public):
    _, film = public
    pks = _acme_world(acme)
    response = acme.post("/api/v1/events/", [
        {"user": "p0", "item": pks[1], "kind": "like"},
        {"user": "p0", "item": film.pk, "kind": "rating", "value": 5},
        {"user": "p0", "item": "a2", "kind": "like"},
    ])  # fmt: skip
    assert response.status_code == 207
    body = response.json()
    assert body["accepted"] == 2 and [e["index"] for e in body["errors"]] == [1]
    assert "item" in body["errors"][0]["errors"]
    assert not Rating.objects.filter(item=film, user__api_identity__workspace__slug="acme").exists()
    film.refresh_from_db()
    assert (film.rating_count, film.rating_avg) == (1, 5.0)


def test_same_external_ids_in_two_workspaces_are_different_things(acme, public):
    site, _ = public
    for client in (site, acme):
        assert (
            client.post("/api/v1/items/", {"external_id": "x", "title": f"{client.client.name} X"}).status_code == 200
        )
        assert client.post("/api/v1/events/", {"user": "same", "item": "x", "kind": "like"}).status_code == 200
    assert sorted(Item.objects.filter(source_id="x").values_list("title", flat=True)) == ["Acme X", "Site X"]
    assert Interaction.objects.filter(user__api_identity__external_id="same").values("user").distinct().count() == 2


def test_two_keys_of_one_workspace_see_the_same_people_and_catalog(acme):
    reader = make_partner("Acme reader", scopes=("read",), workspace=acme.client.workspace)
    pks = _acme_world(acme)
    assert {i["id"] for i in reader.get("/api/v1/items/").json()["results"]} == set(pks)
    assert reader.get("/api/v1/users/p1/").status_code == 200
    assert reader.get("/api/v1/users/p1/recommendations/").status_code == 200


def test_genres_a_client_sends_stay_in_its_workspace(acme):
    many = [{"external_id": f"g{i}", "title": f"T{i}", "genres": [f"Genre {i}"]} for i in range(20)]
    assert acme.post("/api/v1/items/", many).status_code == 200
    assert Genre.objects.filter(workspace__slug="acme").count() == 20
    assert not Genre.objects.filter(workspace__slug="default", name__startswith="Genre ").exists()


# --- Quotas -----------------------------------------------------------------------------------


def _tight(acme, **quotas) -> Workspace:
    workspace = acme.client.workspace
    Workspace.objects.filter(pk=workspace.pk).update(**quotas)
    return workspace


def test_items_beyond_the_quota_are_rejected_by_position_and_a_full_workspace_answers_403(acme):
    _tight(acme, max_items=3)
    rows = [{"external_id": f"i{i}", "title": f"T{i}"} for i in range(5)]
    response = acme.post("/api/v1/items/", rows)
    assert response.status_code == 207
    body = response.json()
    assert body["accepted"] == 3 and [e["index"] for e in body["errors"]] == [3, 4]
    assert "max_items" in str(body["errors"][0]["errors"]) and "at most 3 items" in str(body["errors"][0]["errors"])
    # Updating what exists still works at the limit; a new item gets a 403 that names the limit.
    assert acme.post("/api/v1/items/", {"external_id": "i0", "title": "Renamed"}).status_code == 200
    full = acme.post("/api/v1/items/", {"external_id": "new", "title": "New"})
    assert full.status_code == 403
    assert full.json()["error"]["code"] == "quota_exceeded" and "max_items" in full.json()["error"]["message"]
    assert Item.objects.filter(workspace=acme.client.workspace).count() == 3


def test_new_genres_beyond_the_quota_reject_their_rows(acme):
    _tight(acme, max_genres=2)
    rows = [{"external_id": f"i{i}", "title": f"T{i}", "genres": [f"G{i}"]} for i in range(3)]
    body = acme.post("/api/v1/items/", rows).json()
    assert body["accepted"] == 2 and body["errors"][0]["index"] == 2
    assert "max_genres" in str(body["errors"][0]["errors"]["genres"])
    assert acme.post("/api/v1/items/", {"external_id": "i9", "title": "T", "genres": ["G0", "g1"]}).status_code == 200


def test_people_and_daily_events_beyond_their_quotas_are_refused_with_the_limit_named(acme):
    pks = _acme_world(acme)  # 3 people, 6 events today
    _tight(acme, max_people=4, max_events_per_day=10)
    rows = [{"user": f"new{i}", "item": pks[0], "kind": "view"} for i in range(3)]
    body = acme.post("/api/v1/events/", rows).json()
    assert body["accepted"] == 1 and [e["index"] for e in body["errors"]] == [1, 2]
    assert "max_people" in str(body["errors"][0]["errors"])
    body = acme.post("/api/v1/events/", [{"user": "p0", "item": pks[0], "kind": "view"}] * 5).json()
    assert body["accepted"] == 3 and "max_events_per_day" in str(body["errors"][0]["errors"])
    refused = acme.post("/api/v1/events/", {"user": "p0", "item": pks[0], "kind": "view"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "quota_exceeded"
    assert "max_events_per_day" in refused.json()["error"]["message"]
    assert Interaction.objects.filter(item__workspace=acme.client.workspace).count() == 10


def test_quotas_default_to_the_settings(acme, settings):
    settings.WORKSPACE_MAX_ITEMS = 2
    body = acme.post("/api/v1/items/", [{"external_id": f"i{i}", "title": "T"} for i in range(3)]).json()
    assert body["accepted"] == 2 and "at most 2 items" in str(body["errors"])


def test_a_client_can_hide_only_items_sent_over_the_api(acme, public):
    site, film = public
    mine = own_item(site, "mine")
    assert site.delete(f"/api/v1/items/{film.pk}/").status_code == 403
    assert site.delete(f"/api/v1/items/{mine.pk}/").status_code == 204
