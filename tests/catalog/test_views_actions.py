import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import Interaction, Rating
from catalog.services import rating_upsert
from tests.factories import InteractionFactory, ItemFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def member(client):
    user = UserFactory(username="member")
    client.force_login(user)
    return user


@pytest.fixture
def item(db):
    return ItemFactory(title="Heat")


@pytest.mark.parametrize("name", ["item-rate", "item-unrate", "item-feedback"])
def test_actions_are_post_only(client, member, item, name):
    assert client.get(reverse(name, args=[item.pk])).status_code == 405


@pytest.mark.parametrize("name", ["item-rate", "item-unrate", "item-feedback"])
def test_actions_need_a_login(client, item, name):
    response = client.post(reverse(name, args=[item.pk]), {"value": "4", "kind": "like"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not Rating.objects.exists() and not Interaction.objects.exists()


def test_actions_need_the_csrf_token(member, item):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    assert strict.post(reverse("item-rate", args=[item.pk]), {"value": "4"}).status_code == 403
    assert not Rating.objects.exists()


def test_rating_without_javascript_saves_and_redirects_back(client, member, item):
    response = client.post(reverse("item-rate", args=[item.pk]), {"value": "4.5", "next": "/browse/?q=heat"})

    assert response.status_code == 302 and response.url == "/browse/?q=heat"
    assert Rating.objects.get(user=member, item=item).value == 4.5
    assert "You rated Heat ★★★★½" in client.get(response.url).content.decode()


def test_rating_again_updates_the_same_rating(client, member, item):
    client.post(reverse("item-rate", args=[item.pk]), {"value": "2"})
    client.post(reverse("item-rate", args=[item.pk]), {"value": "3.5"})
    assert list(Rating.objects.filter(user=member).values_list("value", flat=True)) == [3.5]


@pytest.mark.parametrize("value", ["0", "5.5", "3.3", "abc", ""])
def test_it_refuses_a_rating_off_the_half_star_scale(client, member, item, value):
    client.post(reverse("item-rate", args=[item.pk]), {"value": value})
    assert not Rating.objects.exists()


def test_it_never_redirects_to_another_site(client, member, item):
    response = client.post(reverse("item-rate", args=[item.pk]), {"value": "4", "next": "https://evil.example/"})
    assert response.url == reverse("item", args=[item.pk])


def test_with_htmx_the_item_page_gets_its_updated_panel(client, member, item):
    response = client.post(reverse("item-rate", args=[item.pk]), {"value": "3"}, **HTMX)

    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section id="my-actions"')
    assert "You rated Heat ★★★" in content and 'value="3" checked' in content


def test_with_htmx_the_feed_gets_the_whole_feed_back(client, member, tiny_catalog):
    item = tiny_catalog.scifi[0]
    response = client.post(reverse("item-rate", args=[item.pk]), {"value": "5", "return": "feed"}, **HTMX)

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="feed"')
    assert "You rated Space 0 ★★★★★" in content
    assert 'name="next" value="/"' in content and 'value="/items/' not in content
    assert all(card.item != item for row in response.context["rows"] for card in row.cards)


def test_removing_a_rating(client, member, item):
    RatingFactory(user=member, item=item)
    client.post(reverse("item-unrate", args=[item.pk]))
    assert not Rating.objects.filter(user=member).exists()


def test_removing_touches_only_my_rating(client, member, item):
    theirs = RatingFactory(user=UserFactory(username="other"), item=item)
    client.post(reverse("item-unrate", args=[item.pk]))
    assert Rating.objects.filter(pk=theirs.pk).exists()


def test_like_dislike_and_not_interested_are_recorded_once(client, member, item):
    url = reverse("item-feedback", args=[item.pk])
    client.post(url, {"kind": "like"})
    client.post(url, {"kind": "like"})
    assert list(Interaction.objects.values_list("kind", flat=True)) == ["like"]

    client.post(url, {"kind": "dislike"})
    assert list(Interaction.objects.values_list("kind", flat=True)) == ["dislike"]

    client.post(url, {"kind": "not_interested"})
    assert set(Interaction.objects.values_list("kind", flat=True)) == {"dislike", "not_interested"}

    client.post(url, {"kind": "like"})
    assert list(Interaction.objects.values_list("kind", flat=True)) == ["like"]


def test_feedback_can_be_undone(client, member, item):
    InteractionFactory(user=member, item=item, kind=Interaction.Kind.NOT_INTERESTED)
    client.post(reverse("item-feedback", args=[item.pk]), {"kind": "not_interested", "undo": "1"})
    assert not Interaction.objects.exists()


def test_unknown_feedback_is_refused(client, member, item):
    client.post(reverse("item-feedback", args=[item.pk]), {"kind": "purchase"})
    assert not Interaction.objects.exists()


def test_a_hidden_item_cannot_be_rated(client, member, item):
    item.is_active = False
    item.save()
    assert client.post(reverse("item-rate", args=[item.pk]), {"value": "4"}).status_code == 404


# The item's rating count and average as a partner sees them through the API.
def api_counters(item) -> tuple[int, float | None]:
    from tests.api.conftest import make_partner

    body = make_partner(f"Reader {item.pk}").get(f"/api/v1/items/{item.pk}/").json()
    return body["rating_count"], body["rating_avg"]


def test_a_rating_counts_at_once_in_the_api(client, item):
    UserFactory(username="rater")
    assert client.post(reverse("login"), {"username": "rater", "password": "a-long-Secret-42"}).status_code == 302

    client.post(reverse("item-rate", args=[item.pk]), {"value": "4.5"})
    assert api_counters(item) == (1, 4.5)

    client.post(reverse("item-rate", args=[item.pk]), {"value": "2"})
    assert api_counters(item) == (1, 2.0)


def test_removing_a_rating_lowers_the_count_and_moves_the_average(client, member, item):
    rating_upsert(user=UserFactory(username="other"), item=item, value=3.0)
    client.post(reverse("item-rate", args=[item.pk]), {"value": "5"})
    assert api_counters(item) == (2, 4.0)

    client.post(reverse("item-unrate", args=[item.pk]))
    assert api_counters(item) == (1, 3.0)
