import pytest
from django.urls import reverse

from catalog.models import Interaction, Rating
from recommendations.serving import active_models
from recommendations.training import train_model_version
from tests.factories import InteractionFactory, ItemFactory, UserFactory

pytestmark = pytest.mark.django_db


def row(response, key):
    return next((r for r in response.context["rows"] if r.key == key), None)


def shown(response):
    return [card.item for r in response.context["rows"] for card in r.cards]


def test_visitors_see_popular_trending_and_genre_rows_and_an_invitation(client, tiny_catalog):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    keys = [r.key for r in response.context["rows"]]
    assert keys[0] == "popular" and "trending" in keys
    assert {c.item.title for c in row(response, "popular").cards[:2]} == {"Love 0", "Space 0"}
    content = response.content.decode()
    assert "Popular on Encore" in content and "Sign up free" in content
    assert "Popular with everyone" in content  # each card says why it is there


def test_an_empty_catalog_says_how_to_fill_it(client):
    response = client.get(reverse("home"))
    assert b"import_movielens" in response.content


def test_a_member_gets_top_picks_with_reasons(client, tiny_catalog, media_root):
    train_model_version()
    member = UserFactory(username="newfan")
    Rating.objects.create(user=member, item=tiny_catalog.scifi[0], value=5.0)
    Rating.objects.create(user=member, item=tiny_catalog.scifi[2], value=4.5)
    client.force_login(member)

    response = client.get(reverse("home"))

    picks = row(response, "top-picks").cards
    assert picks, "a member with history gets a feed"
    assert all(card.item in tiny_catalog.scifi for card in picks[:4])
    assert tiny_catalog.scifi[0] not in shown(response)
    assert picks[0].reason.startswith("Because you rated Space ")
    assert "Because you rated Space 0 ★★★★★" in response.content.decode()


def test_a_member_gets_because_you_liked_rows(client, tiny_catalog, media_root):
    train_model_version()
    member = UserFactory(username="fanboy")
    Rating.objects.create(user=member, item=tiny_catalog.scifi[0], value=5.0)
    InteractionFactory(user=member, item=tiny_catalog.scifi[1], kind=Interaction.Kind.LIKE)
    client.force_login(member)

    response = client.get(reverse("home"))

    because = [r for r in response.context["rows"] if r.key.startswith("because-")]
    assert because and because[0].title.startswith("Because you liked Space ")
    assert all(c.item not in (tiny_catalog.scifi[0], tiny_catalog.scifi[1]) for r in because for c in r.cards)


def test_the_feed_changes_on_the_next_request_after_a_rating(client, tiny_catalog, media_root):
    train_model_version()
    member = UserFactory(username="switcher")
    for item in tiny_catalog.scifi[:3:2]:
        Rating.objects.create(user=member, item=item, value=5.0)
    client.force_login(member)
    before = [card.item for card in row(client.get(reverse("home")), "top-picks").cards[:4]]

    for item in tiny_catalog.romance[:3:2]:
        Rating.objects.create(user=member, item=item, value=5.0)
    Rating.objects.filter(user=member, item__in=tiny_catalog.scifi).update(value=1.0)
    after = [card.item for card in row(client.get(reverse("home")), "top-picks").cards[:4]]

    # The taste flipped, and so does most of the top of the feed, without a retrain.
    assert sum(item in tiny_catalog.scifi for item in before) >= 3
    assert sum(item in tiny_catalog.romance for item in after) >= 3


def test_disliked_hidden_and_not_interested_items_never_show(client, tiny_catalog, media_root):
    train_model_version()
    member = UserFactory(username="picky")
    Rating.objects.create(user=member, item=tiny_catalog.scifi[0], value=5.0)
    disliked, hidden, bored = tiny_catalog.scifi[2], tiny_catalog.scifi[4], tiny_catalog.romance[0]
    InteractionFactory(user=member, item=disliked, kind=Interaction.Kind.DISLIKE)
    InteractionFactory(user=member, item=bored, kind=Interaction.Kind.NOT_INTERESTED)
    hidden.is_active = False
    hidden.save()
    client.force_login(member)

    items = shown(client.get(reverse("home")))

    assert items and disliked not in items and hidden not in items and bored not in items


def test_a_dislike_from_the_feed_removes_the_item_at_once(client, tiny_catalog, media_root):
    train_model_version()
    member = UserFactory(username="quick")
    Rating.objects.create(user=member, item=tiny_catalog.scifi[0], value=5.0)
    client.force_login(member)
    first = row(client.get(reverse("home")), "top-picks").cards[0].item

    response = client.post(
        reverse("item-feedback", args=[first.pk]), {"kind": "dislike", "return": "feed"}, HTTP_HX_REQUEST="true"
    )

    assert response.content.decode().lstrip().startswith('<div id="feed"')
    assert first not in shown(response)
    assert first not in shown(client.get(reverse("home")))


def test_a_member_without_history_sees_popular_rows_and_is_invited_to_onboard(client, tiny_catalog, media_root):
    train_model_version()
    client.force_login(UserFactory(username="blank"))
    response = client.get(reverse("home"))
    assert row(response, "popular") and row(response, "top-picks") is None
    assert "Pick five titles you like" in response.content.decode()


def test_a_new_item_without_ratings_is_not_in_the_popular_row(client, tiny_catalog):
    fresh = ItemFactory(title="Unrated")
    response = client.get(reverse("home"))
    assert fresh not in [c.item for c in row(response, "popular").cards]


def test_new_arrivals_show_the_newest_items(client, tiny_catalog):
    fresh = ItemFactory(title="Just added")
    response = client.get(reverse("home"))
    assert row(response, "new").cards[0].item == fresh


def test_cards_link_to_the_item_and_carry_a_local_poster(client, tiny_catalog):
    content = client.get(reverse("home")).content.decode()
    assert reverse("item", args=[tiny_catalog.scifi[0].pk]) in content
    assert '<svg class="poster' in content and "http" not in content.split('<svg class="poster', 1)[1][:400]


def test_the_page_loads_htmx_from_our_own_static_files(client, tiny_catalog):
    content = client.get(reverse("home")).content.decode()
    assert "/static/vendor/htmx.min.js" in content and "unpkg" not in content and "cdn" not in content.lower()
    assert 'hx-headers=\'{"X-CSRFToken": "' in content


def test_a_newly_activated_model_changes_the_next_page(client, tiny_catalog, media_root):
    train_model_version(algorithm="popularity")
    member = UserFactory(username="early")
    Rating.objects.create(user=member, item=tiny_catalog.scifi[0], value=5.0)
    client.force_login(member)
    before = row(client.get(reverse("home")), "top-picks").cards

    train_model_version(force=True)
    active_models.clear()  # as each web process does within seconds of an activation
    after = row(client.get(reverse("home")), "top-picks").cards

    assert not any(card.reason.startswith("Because you rated") for card in before)
    assert after[0].reason.startswith("Because you rated Space 0")
