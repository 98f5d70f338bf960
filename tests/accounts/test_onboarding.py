import pytest
from django.urls import reverse

from accounts.models import Profile
from accounts.selectors import onboarding_candidates
from catalog.models import Interaction, Rating
from tests.factories import GenreFactory, ItemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client):
    user = UserFactory(username="newbie")
    client.force_login(user)
    return user


def test_it_needs_a_login(client):
    response = client.get(reverse("onboarding"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_it_offers_popular_titles_from_every_genre():
    genres = [GenreFactory(name=name) for name in ("Drama", "Comedy", "Western")]
    for g, genre in enumerate(genres):
        for i in range(10):
            # Drama dominates popularity; Western is niche.
            ItemFactory(title=f"{genre.name} {i}", genres=[genre], rating_count=1000 // (g + 1) - i)

    chosen = onboarding_candidates(limit=9)

    assert len(chosen) == 9
    assert {item.genres.get().name for item in chosen} == {"Drama", "Comedy", "Western"}
    assert chosen[0].title == "Drama 0"


def test_it_shows_the_candidates_as_labelled_checkboxes(client, member, tiny_catalog):
    content = client.get(reverse("onboarding")).content.decode()
    assert 'type="checkbox" name="items"' in content
    assert f'for="pick-{tiny_catalog.scifi[0].pk}"' in content
    assert "Skip for now" in content


def test_it_asks_for_at_least_five_and_keeps_the_ticks(client, member, tiny_catalog):
    picks = [item.pk for item in tiny_catalog.scifi[:3]]

    response = client.post(reverse("onboarding"), {"items": picks})

    assert response.status_code == 200
    assert "Pick at least 5 titles" in response.content.decode()
    assert response.context["chosen"] == set(picks)
    assert not Interaction.objects.filter(user=member).exists()


def test_it_records_likes_and_lands_on_the_feed(client, member, tiny_catalog):
    picks = [item.pk for item in tiny_catalog.scifi[:5]]

    response = client.post(reverse("onboarding"), {"items": picks})

    assert response.status_code == 302 and response.url == reverse("home")
    liked = Interaction.objects.filter(user=member, kind=Interaction.Kind.LIKE)
    assert sorted(liked.values_list("item_id", flat=True)) == sorted(picks)
    assert not Rating.objects.filter(user=member).exists()
    assert Profile.objects.get(user=member).onboarded_at is not None
    home = client.get(reverse("home")).content.decode()
    assert "Pick five titles" not in home


def test_saving_twice_does_not_duplicate_likes(client, member, tiny_catalog):
    picks = [item.pk for item in tiny_catalog.scifi[:5]]
    client.post(reverse("onboarding"), {"items": picks})
    client.post(reverse("onboarding"), {"items": picks})
    assert Interaction.objects.filter(user=member).count() == 5


def test_skipping_gives_trending_and_genre_rows(client, member, tiny_catalog):
    response = client.post(reverse("onboarding"), {"skip": "1"})

    assert response.url == reverse("home")
    assert Profile.objects.get(user=member).onboarding_skipped
    home = client.get(reverse("home"))
    keys = [row.key for row in home.context["rows"]]
    assert "trending" in keys and any(key.startswith("genre-") for key in keys)
    assert "pick some you like" in home.content.decode()


def test_a_new_member_is_invited_to_onboard_from_the_home_page(client, member, tiny_catalog):
    assert "Pick five titles you like" in client.get(reverse("home")).content.decode()
