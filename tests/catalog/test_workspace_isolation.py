"""The website is the `default` workspace's front end: nothing of another workspace shows or can be touched."""

import pytest
from django.urls import reverse

from accounts.models import Profile
from catalog.models import Interaction, Rating
from catalog.selectors import title_index
from catalog.services import OtherWorkspace, interaction_record, rating_upsert, ratings_upsert_bulk
from tests.factories import GenreFactory, ItemFactory, TagFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db

PAGES = ["home", "browse", "onboarding", "profile", "history", "hidden", "account", "export", "games"]


@pytest.fixture
def worlds(db):
    """A public catalog, and workspace "acme" with titles, genres and tags of its own, all very popular."""
    title_index.clear()
    drama = GenreFactory(name="Drama")
    public = ItemFactory(title="Public Star Film", genres=[drama], rating_count=10, rating_avg=4.0)
    acme = WorkspaceFactory(slug="acme")
    acme_genre = GenreFactory(workspace=acme, name="Acmecore", slug="acmecore")
    TagFactory(workspace=acme, name="acmetag")
    acme_items = [
        ItemFactory(workspace=acme, title=f"Acme Star Wars {i}", genres=[acme_genre], rating_count=900, rating_avg=5.0)
        for i in range(3)
    ]
    yield public, acme, acme_items
    title_index.clear()


@pytest.fixture
def member(client, worlds):
    public, _, _ = worlds
    user = UserFactory(username="member")
    rating_upsert(user=user, item=public, value=4.0)
    client.force_login(user)
    return user


def _text(response) -> str:
    return response.content.decode()


def test_no_website_page_shows_another_workspace_s_titles_or_genres(client, worlds, member):
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        page = _text(response)
        assert "Acme Star Wars" not in page and "Acmecore" not in page and "acmetag" not in page, name
    client.logout()
    home = _text(client.get(reverse("home")))
    assert "Acme Star Wars" not in home and "Acmecore" not in home


def test_search_browse_and_genre_filter_know_only_the_public_catalog(client, worlds):
    public, _, _ = worlds
    for query in ["star wars", "acme", "acme star wars 1", "acme str wars"]:
        page = _text(client.get(reverse("browse"), {"q": query}))
        assert "Acme Star Wars" not in page, query
    assert "Public Star Film" in _text(client.get(reverse("browse"), {"q": "star"}))
    browse = client.get(reverse("browse"))
    assert [slug for slug, _ in browse.context["form"].fields["genre"].choices] == ["", "drama"]
    assert "Acme Star Wars" not in _text(client.get(reverse("browse"), {"genre": "acmecore"}))


def test_another_workspace_s_item_page_and_actions_answer_404_and_write_nothing(client, worlds, member):
    _, _, acme_items = worlds
    secret = acme_items[0]
    assert client.get(reverse("item", args=[secret.pk])).status_code == 404
    for name, data in [("item-rate", {"value": "5"}), ("item-unrate", {}), ("item-feedback", {"kind": "like"}),
                       ("hidden-undo", {})]:  # fmt: skip
        route = reverse(name, args=[secret.pk])
        assert client.post(route, data).status_code == 404, name
    response = client.post(reverse("onboarding"), {"items": [secret.pk], "action": "done"})
    assert response.status_code in (200, 302)
    assert not Rating.objects.filter(item=secret).exists()
    assert not Interaction.objects.filter(item=secret).exists()


def test_the_write_path_refuses_a_person_acting_on_another_workspace_s_item(worlds):
    public, acme, acme_items = worlds
    member = UserFactory()
    with pytest.raises(OtherWorkspace):
        rating_upsert(user=member, item=acme_items[0], value=5.0)
    with pytest.raises(OtherWorkspace):
        interaction_record(user=member, item=acme_items[0], kind="play")
    acme_person = UserFactory()
    Profile.objects.filter(user=acme_person).update(workspace=acme)
    written = ratings_upsert_bulk(rows=[(member.pk, acme_items[0].pk, 5.0, public.created_at),
                                        (acme_person.pk, acme_items[0].pk, 4.0, public.created_at),
                                        (acme_person.pk, public.pk, 1.0, public.created_at)])  # fmt: skip
    assert written.created == 1
    assert written.other_workspace == {(member.pk, acme_items[0].pk), (acme_person.pk, public.pk)}
    assert list(Rating.objects.values_list("user_id", "item_id")) == [(acme_person.pk, acme_items[0].pk)]


def test_people_of_other_workspaces_cannot_sign_in_to_the_website(client, worlds):
    _, acme, _ = worlds
    outsider = UserFactory(username="outsider", password="a-long-Secret-42")
    Profile.objects.filter(user=outsider).update(workspace=acme)
    UserFactory(username="insider", password="a-long-Secret-42")
    refused = client.post(reverse("login"), {"username": "outsider", "password": "a-long-Secret-42"})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    accepted = client.post(reverse("login"), {"username": "insider", "password": "a-long-Secret-42"})
    assert accepted.status_code == 302 and client.session["_auth_user_id"]
