import pytest
from django.urls import reverse

from catalog.models import Interaction, Rating
from tests.factories import InteractionFactory, ItemFactory, RatingFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db
PAGES = ["profile", "history", "hidden", "account", "export", "delete-account"]


@pytest.fixture
def alice(client):
    user = UserFactory(username="alice")
    client.force_login(user)
    return user


@pytest.mark.parametrize("name", PAGES)
def test_every_page_needs_a_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
def test_every_page_is_in_the_navigation_and_renders(client, alice, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    home = client.get(reverse("home")).content.decode()
    assert reverse("profile") in home and reverse("account") in home


def test_my_ratings_lists_only_mine_with_their_stars(client, alice):
    mine = RatingFactory(user=alice, item=ItemFactory(title="Mine"), value=3.5)
    RatingFactory(user=UserFactory(username="bob"), item=ItemFactory(title="Bob's secret"), value=5.0)

    response = client.get(reverse("profile"))

    content = response.content.decode()
    assert "Mine" in content and "Bob&#x27;s secret" not in content and "Bob's secret" not in content
    assert f'id="s-mine-{mine.item_id}-4" name="value" value="3.5" checked' in content


def test_i_can_edit_and_remove_a_rating_from_my_list(client, alice):
    rating = RatingFactory(user=alice, value=2.0)
    back = reverse("profile")

    client.post(reverse("item-rate", args=[rating.item_id]), {"value": "4.5", "next": back})
    assert Rating.objects.get(pk=rating.pk).value == 4.5

    response = client.post(reverse("item-unrate", args=[rating.item_id]), {"next": back})
    assert response.url == back
    assert not Rating.objects.filter(pk=rating.pk).exists()


def test_my_history_lists_only_my_events_and_removes_them(client, alice):
    mine = InteractionFactory(user=alice, item=ItemFactory(title="Watched"), kind=Interaction.Kind.LIKE)
    InteractionFactory(user=UserFactory(username="bob"), item=ItemFactory(title="Bob's thing"))

    content = client.get(reverse("history")).content.decode()
    assert "Watched" in content and "Bob" not in content

    response = client.post(reverse("history-remove", args=[mine.pk]))
    assert response.url == reverse("history")
    assert not Interaction.objects.filter(pk=mine.pk).exists()


def test_i_cannot_remove_someone_elses_event(client, alice):
    theirs = InteractionFactory(user=UserFactory(username="bob"))
    assert client.post(reverse("history-remove", args=[theirs.pk])).status_code == 404
    assert Interaction.objects.filter(pk=theirs.pk).exists()


def test_removing_history_is_post_only(client, alice):
    mine = InteractionFactory(user=alice)
    assert client.get(reverse("history-remove", args=[mine.pk])).status_code == 405


def test_my_not_interested_list_can_be_undone(client, alice):
    item = ItemFactory(title="Boring")
    InteractionFactory(user=alice, item=item, kind=Interaction.Kind.NOT_INTERESTED)
    InteractionFactory(user=alice, item=item, kind=Interaction.Kind.DISLIKE)
    InteractionFactory(user=UserFactory(username="bob"), item=ItemFactory(title="Theirs"), kind="not_interested")

    response = client.get(reverse("hidden"))
    assert [e.item for e in response.context["events"]] == [item]

    client.post(reverse("hidden-undo", args=[item.pk]))
    assert not Interaction.objects.filter(user=alice, item=item).exists()
    assert Interaction.objects.filter(kind="not_interested").count() == 1


def test_undoing_touches_only_my_own_events(client, alice):
    item = ItemFactory()
    InteractionFactory(user=UserFactory(username="bob"), item=item, kind=Interaction.Kind.NOT_INTERESTED)
    client.post(reverse("hidden-undo", args=[item.pk]))
    assert Interaction.objects.filter(item=item).count() == 1


def test_undoing_on_a_partner_s_own_item_does_not_reveal_its_title(client, alice):
    private = ItemFactory(
        title="Partner Secret", workspace=WorkspaceFactory(slug="initech"), source="api", source_id="sku-1"
    )

    response = client.post(reverse("hidden-undo", args=[private.pk]), follow=True)

    assert response.status_code == 404 and "Partner Secret" not in response.content.decode()
