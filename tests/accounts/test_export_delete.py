import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts.models import Profile
from catalog.models import Interaction, Rating
from tests.factories import InteractionFactory, ItemFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-Secret-42"  # the factory's


@pytest.fixture
def alice(client):
    user = UserFactory(username="alice", email="alice@example.com")
    client.force_login(user)
    return user


def test_the_export_is_a_json_download_of_everything_mine(client, alice):
    item = ItemFactory(title="Arrival", year=2016)
    RatingFactory(user=alice, item=item, value=4.5)
    InteractionFactory(user=alice, item=item, kind=Interaction.Kind.LIKE)
    bob = UserFactory(username="bob")
    RatingFactory(user=bob, item=ItemFactory(title="Bob only"))

    response = client.get(reverse("export"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert 'attachment; filename="encore-alice-' in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["account"]["username"] == "alice" and data["account"]["email"] == "alice@example.com"
    assert data["ratings"] == [
        {
            "item_id": item.pk, "title": "Arrival", "year": 2016, "value": 4.5,
            "created_at": data["ratings"][0]["created_at"], "updated_at": data["ratings"][0]["updated_at"],
        }
    ]  # fmt: skip
    assert [(e["title"], e["kind"]) for e in data["interactions"]] == [("Arrival", "like")]
    assert "Bob only" not in response.content.decode()


def test_the_export_cannot_be_asked_for_someone_else(client, alice):
    # No URL names a user: the same address always answers with the caller's own data.
    bob = UserFactory(username="bob")
    RatingFactory(user=bob)
    other = Client()
    other.force_login(bob)
    assert json.loads(other.get(reverse("export")).content)["account"]["username"] == "bob"
    assert json.loads(client.get(reverse("export") + "?user=bob").content)["account"]["username"] == "alice"


def test_deleting_asks_for_the_password(client, alice):
    response = client.post(reverse("delete-account"), {"password": "not-my-password"})
    assert response.status_code == 200
    assert "That is not your password" in response.content.decode()
    assert get_user_model().objects.filter(pk=alice.pk).exists()


def test_deleting_removes_the_account_and_all_its_data_and_logs_out(client, alice):
    RatingFactory(user=alice)
    InteractionFactory(user=alice)
    assert Profile.objects.filter(user=alice).exists()  # every account is a person of a workspace
    bob_rating = RatingFactory(user=UserFactory(username="bob"))

    response = client.post(reverse("delete-account"), {"password": PASSWORD})

    assert response.status_code == 302 and response.url == reverse("home")
    assert not get_user_model().objects.filter(username="alice").exists()
    assert not Rating.objects.filter(user_id=alice.pk).exists()
    assert not Interaction.objects.filter(user_id=alice.pk).exists()
    assert not Profile.objects.filter(user_id=alice.pk).exists()
    assert Rating.objects.filter(pk=bob_rating.pk).exists()
    home = client.get(reverse("home"))
    assert not home.context["user"].is_authenticated
    assert "Your account, ratings and history are deleted" in home.content.decode()


def test_forms_refuse_a_post_without_the_csrf_token(alice):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(reverse("delete-account"), {"password": PASSWORD}).status_code == 403
    assert get_user_model().objects.filter(pk=alice.pk).exists()


def test_deleting_the_account_takes_its_ratings_out_of_every_items_counters(client, alice):
    from tests.api.conftest import make_partner

    liked, only_mine = ItemFactory(title="Liked"), ItemFactory(title="Only mine")
    client.post(reverse("item-rate", args=[liked.pk]), {"value": "5"})
    client.post(reverse("item-rate", args=[only_mine.pk]), {"value": "1"})
    bob = Client()
    bob.force_login(UserFactory(username="bob"))
    bob.post(reverse("item-rate", args=[liked.pk]), {"value": "2"})

    client.post(reverse("delete-account"), {"password": PASSWORD})

    partner = make_partner()
    counters = {
        item.title: (body["rating_count"], body["rating_avg"])
        for item in (liked, only_mine)
        for body in [partner.get(f"/api/v1/items/{item.pk}/").json()]
    }
    assert counters == {"Liked": (1, 2.0), "Only mine": (0, None)}
