import pytest
from django.urls import reverse

from catalog.models import Interaction, Rating
from recommendations.training import train_model_version
from tests.factories import InteractionFactory, ItemFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_see_popular_items(client, tiny_catalog):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert b"Popular on Encore" in response.content
    titles = [rec.item.title for rec in response.context["recommendations"]]
    assert titles[:2] == ["Love 0", "Space 0"] or titles[:2] == ["Space 0", "Love 0"]


def test_an_empty_catalog_says_how_to_fill_it(client):
    response = client.get(reverse("home"))
    assert b"import_movielens" in response.content


def test_a_member_gets_recommendations_from_their_history_with_reasons(client, tiny_catalog, media_root):
    train_model_version()
    member = UserFactory(username="newfan")
    Rating.objects.create(user=member, item=tiny_catalog.scifi[0], value=5.0)
    Rating.objects.create(user=member, item=tiny_catalog.scifi[2], value=4.5)
    client.force_login(member)

    response = client.get(reverse("home"))

    recommendations = response.context["recommendations"]
    assert b"Top picks for you" in response.content
    assert recommendations, "a member with history gets a feed"
    top = [rec.item for rec in recommendations[:4]]
    assert all(item in tiny_catalog.scifi for item in top)
    assert tiny_catalog.scifi[0] not in [rec.item for rec in recommendations]
    assert recommendations[0].reason.startswith("Because you rated Space ")
    assert "Because you rated Space 0 ★★★★★" in response.content.decode()


def test_the_feed_changes_on_the_next_request_after_a_rating(client, tiny_catalog, media_root):
    train_model_version()
    member = UserFactory(username="switcher")
    Rating.objects.create(user=member, item=tiny_catalog.scifi[0], value=5.0)
    client.force_login(member)
    before = [rec.item for rec in client.get(reverse("home")).context["recommendations"]]

    Rating.objects.create(user=member, item=tiny_catalog.romance[0], value=5.0)
    Rating.objects.create(user=member, item=tiny_catalog.romance[2], value=5.0)
    Rating.objects.filter(user=member, item=tiny_catalog.scifi[0]).update(value=1.0)
    after = [rec.item for rec in client.get(reverse("home")).context["recommendations"]]

    assert before[0] in tiny_catalog.scifi
    assert after[0] in tiny_catalog.romance


def test_disliked_and_hidden_items_never_show(client, tiny_catalog, media_root):
    train_model_version()
    member = UserFactory(username="picky")
    Rating.objects.create(user=member, item=tiny_catalog.scifi[0], value=5.0)
    disliked, hidden = tiny_catalog.scifi[2], tiny_catalog.scifi[4]
    InteractionFactory(user=member, item=disliked, kind=Interaction.Kind.DISLIKE)
    hidden.is_active = False
    hidden.save()
    client.force_login(member)

    shown = [rec.item for rec in client.get(reverse("home")).context["recommendations"]]

    assert shown and disliked not in shown and hidden not in shown


def test_a_member_without_history_sees_popular_items(client, tiny_catalog, media_root):
    train_model_version()
    client.force_login(UserFactory(username="blank"))
    response = client.get(reverse("home"))
    assert {rec.reason for rec in response.context["recommendations"]} == {"Popular with everyone"}


def test_a_new_item_without_ratings_is_not_in_the_popular_list(client, tiny_catalog):
    fresh = ItemFactory(title="Unrated")
    response = client.get(reverse("home"))
    assert fresh not in [rec.item for rec in response.context["recommendations"]]
