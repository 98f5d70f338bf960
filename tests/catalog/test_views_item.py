import pytest
from django.urls import reverse

from catalog.models import Interaction, ItemTag, Rating
from tests.factories import InteractionFactory, ItemFactory, TagFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


def test_it_shows_the_details_genres_and_top_tags(client, tiny_catalog):
    item = tiny_catalog.scifi[0]
    ItemTag.objects.create(item=item, tag=TagFactory(name="mind-bending"), count=7)
    ItemTag.objects.create(item=item, tag=TagFactory(name="slow"), count=1)

    response = client.get(reverse("item", args=[item.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Space 0" in content and "Sci-Fi" in content
    assert response.context["tags"] == ["mind-bending", "slow"]
    assert "from 10 ratings" in content
    assert "<svg" in content  # the poster placeholder, drawn locally


def test_it_shows_similar_items_and_what_fans_also_liked(client, tiny_catalog):
    item = tiny_catalog.scifi[0]
    response = client.get(reverse("item", args=[item.pk]))

    assert response.context["similar"] and all(i in tiny_catalog.scifi for i in response.context["similar"])
    also = response.context["also_liked"]
    assert also and item not in also and all(i in tiny_catalog.scifi for i in also)
    assert "People who liked this also liked" in response.content.decode()


def test_also_liked_counts_only_fans(client, tiny_catalog):
    item = tiny_catalog.romance[0]
    # A sci-fi fan who disliked the romance does not make it "also liked".
    hater = tiny_catalog.fans[0]
    Rating.objects.create(user=hater, item=item, value=1.0)
    also = client.get(reverse("item", args=[item.pk])).context["also_liked"]
    assert all(i in tiny_catalog.romance for i in also)


def test_a_hidden_item_is_not_found(client, tiny_catalog):
    item = tiny_catalog.scifi[1]
    item.is_active = False
    item.save()
    assert client.get(reverse("item", args=[item.pk])).status_code == 404


def test_visitors_are_invited_to_log_in_to_rate(client, tiny_catalog):
    content = client.get(reverse("item", args=[tiny_catalog.scifi[0].pk])).content.decode()
    assert "to rate it" in content and 'name="value"' not in content


def test_a_member_sees_and_can_change_their_own_rating(client, tiny_catalog):
    item = tiny_catalog.scifi[0]
    member = UserFactory(username="viewer")
    Rating.objects.create(user=member, item=item, value=3.5)
    InteractionFactory(user=member, item=item, kind=Interaction.Kind.LIKE)
    client.force_login(member)

    response = client.get(reverse("item", args=[item.pk]))

    content = response.content.decode()
    assert "★★★½" in content and 'value="3.5" checked' in content
    assert "Remove my rating" in content
    assert 'aria-pressed="true"' in content  # liked


def test_someone_elses_rating_is_never_shown_as_mine(client, tiny_catalog):
    item = tiny_catalog.scifi[0]  # every fan rated it
    client.force_login(UserFactory(username="stranger"))
    response = client.get(reverse("item", args=[item.pk]))
    assert response.context["state"].rating is None
    assert "Not rated yet" in response.content.decode()


def test_disliked_items_are_left_out_of_similar_lists(client, tiny_catalog):
    member = UserFactory(username="picky")
    disliked = tiny_catalog.scifi[2]
    InteractionFactory(user=member, item=disliked, kind=Interaction.Kind.DISLIKE)
    client.force_login(member)
    response = client.get(reverse("item", args=[tiny_catalog.scifi[0].pk]))
    assert disliked not in response.context["similar"] and disliked not in response.context["also_liked"]


def test_an_unknown_item_is_not_found(client, db):
    assert client.get(reverse("item", args=[ItemFactory().pk + 100])).status_code == 404


def test_a_partner_s_own_item_is_not_on_the_website(client, tiny_catalog):
    # Items an API client sends are that partner's alone (the API shows them to no one else).
    private = ItemFactory(
        title="Partner Secret", workspace=WorkspaceFactory(slug="initech"), source="api", source_id="sku-1"
    )
    client.force_login(UserFactory())

    page = client.get(reverse("item", args=[private.pk]))
    rated = client.post(reverse("item-rate", args=[private.pk]), {"value": "4"})

    assert (page.status_code, rated.status_code) == (404, 404)
    assert not Rating.objects.filter(item=private).exists()
