import pytest
from django.contrib.auth import get_user_model

from api.models import ClientUser
from catalog.models import Interaction, Item, Rating
from recommendations.training import train_model_version
from tests.api.conftest import make_partner, own_item
from tests.factories import GenreFactory, ItemFactory

pytestmark = pytest.mark.django_db


def send(partner, *events):
    response = partner.post("/api/v1/events/", list(events))
    assert response.status_code == 200, response.json()


def test_recommendations_have_the_contract_shape_and_reflect_new_events(partner):
    popular = [ItemFactory(title=f"Hit {i}", rating_count=10 - i) for i in range(3)]
    send(partner, {"user": "u1", "item": popular[2].pk, "kind": "view"})
    body = partner.get("/api/v1/users/u1/recommendations/", {"limit": 2}).json()
    assert set(body) == {"recommendation_id", "variant", "model_version", "results"}
    assert [r["item"]["id"] for r in body["results"]] == [popular[0].pk, popular[1].pk]
    assert set(body["results"][0]) == {"item", "score", "reason", "because", "rule"}
    # A moment later, a new event changes the next answer.
    send(partner, {"user": "u1", "item": popular[0].pk, "kind": "not_interested"})
    body = partner.get("/api/v1/users/u1/recommendations/", {"limit": 2}).json()
    assert popular[0].pk not in [r["item"]["id"] for r in body["results"]]


def test_recommendation_filters(partner):
    drama, comedy = GenreFactory(name="Drama"), GenreFactory(name="Comedy")
    a = ItemFactory(genres=[drama], rating_count=5)
    b = ItemFactory(genres=[comedy], rating_count=4, kind="series")
    c = ItemFactory(genres=[drama], rating_count=3)
    seen = ItemFactory(rating_count=1)
    send(partner, {"user": "u1", "item": seen.pk, "kind": "view"})

    def ids(**params):
        return [r["item"]["id"] for r in partner.get("/api/v1/users/u1/recommendations/", params).json()["results"]]

    assert ids() == [a.pk, b.pk, c.pk]
    assert ids(genre="drama") == [a.pk, c.pk]
    assert ids(kind="series") == [b.pk]
    assert ids(exclude=f"{a.pk},{b.pk}") == [c.pk]
    for bad in ({"limit": 0}, {"limit": 101}, {"exclude": "1,x"}, {"kind": "opera"}):
        assert partner.get("/api/v1/users/u1/recommendations/", bad).status_code == 400


def test_recommendations_for_an_unknown_user_are_404(partner):
    response = partner.get("/api/v1/users/nobody/recommendations/")
    assert response.status_code == 404


def test_personal_recommendations_come_from_the_active_model(partner, tiny_catalog, media_root):
    version = train_model_version()
    send(partner, *[{"user": "fan", "item": item.pk, "kind": "rating", "value": 5} for item in tiny_catalog.scifi[:3]])
    body = partner.get("/api/v1/users/fan/recommendations/", {"limit": 3}).json()
    assert body["model_version"] == version.pk
    recommended = {r["item"]["id"] for r in body["results"]}
    assert recommended <= {item.pk for item in tiny_catalog.scifi[3:]}
    assert any(r["reason"].startswith("Because you") for r in body["results"])


def test_user_detail_and_deletion_remove_everything(partner):
    item = ItemFactory()
    send(
        partner,
        {"user": "gone", "item": item.pk, "kind": "rating", "value": 4},
        {"user": "gone", "item": item.pk, "kind": "play"},
        {"user": "stays", "item": item.pk, "kind": "play"},
    )
    assert partner.get("/api/v1/users/gone/").json() | {"created_at": None} == {
        "id": "gone", "created_at": None, "ratings": 1, "events": 1,
    }  # fmt: skip
    user_id = ClientUser.objects.get(external_id="gone").user_id
    assert partner.delete("/api/v1/users/gone/").status_code == 204
    assert not get_user_model().objects.filter(pk=user_id).exists()
    assert not Rating.objects.filter(user_id=user_id).exists()
    assert not Interaction.objects.filter(user_id=user_id).exists()
    assert Interaction.objects.count() == 1
    item.refresh_from_db()
    assert item.rating_count == 0
    assert partner.get("/api/v1/users/gone/").status_code == 404


def test_a_cached_answer_never_outlives_a_change(partner):
    hits = [ItemFactory(title=f"Hit {i}", rating_count=10 - i) for i in range(4)]
    send(partner, {"user": "u1", "item": hits[3].pk, "kind": "rating", "value": 2})

    def ids():
        results = partner.get("/api/v1/users/u1/recommendations/", {"limit": 2}).json()["results"]
        return [r["item"]["id"] for r in results]

    assert ids() == [hits[0].pk, hits[1].pk]
    assert ids() == [hits[0].pk, hits[1].pk]  # served from the cache
    # Hiding an item removes it at once, even through a queryset update that leaves updated_at alone.
    Item.objects.filter(pk=hits[0].pk).update(is_active=False)
    assert ids() == [hits[1].pk, hits[2].pk]
    # Changing a rating in place (same count of ratings) is a new history.
    send(partner, {"user": "u1", "item": hits[3].pk, "kind": "rating", "value": 2.5},
         {"user": "u1", "item": hits[1].pk, "kind": "view"})  # fmt: skip
    assert ids() == [hits[2].pk]


def test_deleting_a_user_keeps_other_peoples_ratings_in_the_counters(partner):
    item = ItemFactory()
    send(partner, {"user": "gone", "item": item.pk, "kind": "rating", "value": 5},
         {"user": "stays", "item": item.pk, "kind": "rating", "value": 2})  # fmt: skip
    assert partner.delete("/api/v1/users/gone/").status_code == 204
    body = partner.get(f"/api/v1/items/{item.pk}/").json()
    assert (body["rating_count"], body["rating_avg"]) == (1, 2.0)


def test_deleting_a_workspace_deletes_its_people_and_catalog_and_nothing_else(tenant_partner, other_partner):
    mine, theirs = own_item(tenant_partner, "a"), own_item(other_partner, "b")
    send(tenant_partner, {"user": "u1", "item": mine.pk, "kind": "rating", "value": 5},
         {"user": "u2", "item": mine.pk, "kind": "rating", "value": 4})  # fmt: skip
    send(other_partner, {"user": "u1", "item": theirs.pk, "kind": "rating", "value": 1})

    tenant_partner.client.workspace.delete()

    assert not Item.objects.filter(pk=mine.pk).exists()
    body = other_partner.get(f"/api/v1/items/{theirs.pk}/").json()
    assert (body["rating_count"], body["rating_avg"]) == (1, 1.0)
    assert [u["id"] for u in other_partner.get("/api/v1/users/").json()["results"]] == ["u1"]
    assert get_user_model().objects.count() == 1


def test_deleting_one_key_of_a_workspace_keeps_its_people_and_catalog_for_the_others(tenant_partner):
    reader = make_partner("Initech reader", scopes=("read",), workspace=tenant_partner.client.workspace)
    mine = own_item(tenant_partner, "a")
    send(tenant_partner, {"user": "u1", "item": mine.pk, "kind": "rating", "value": 5})

    tenant_partner.client.delete()

    assert reader.get(f"/api/v1/items/{mine.pk}/").json()["rating_count"] == 1
    assert [u["id"] for u in reader.get("/api/v1/users/").json()["results"]] == ["u1"]
