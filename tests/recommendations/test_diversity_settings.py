"""Diversity settings per placement: staff say how spread each list is, and the website's rows follow."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.workspaces import default_workspace
from recommendations import rules
from recommendations.feed import home_feed
from recommendations.models import DiversitySetting
from recommendations.rules import diversity_for, diversity_setting_delete, diversity_setting_save
from recommendations.serving import feed_for_user
from tests.factories import GenreFactory, ItemFactory, RatingFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def drama_heavy():
    """The 20 most popular films are dramas, then 10 comedies and 10 westerns."""
    drama, comedy, western = (GenreFactory(name=name) for name in ("Drama", "Comedy", "Western"))
    return [
        ItemFactory(title=f"F{n}", rating_count=100 - n, genres=[drama if n < 20 else (comedy, western)[n % 2]])
        for n in range(40)
    ]


@pytest.fixture
def person():
    # A history outside the shelf: served the popular list (no model here), as top picks.
    user = UserFactory()
    RatingFactory(user=user, item=ItemFactory(title="Seen long ago"), value=4.0)
    return user


def setting(placement="", **fields) -> DiversitySetting:
    made = DiversitySetting(workspace=default_workspace(), placement=placement, **fields)
    diversity_setting_save(made)
    return made


def dramas(user, **kwargs) -> int:
    listed = feed_for_user(user=user, workspace=default_workspace().pk, limit=10, **kwargs)
    assert len(listed) == 10
    return sum(r.item.genres.filter(name="Drama").exists() for r in listed)


def test_without_a_setting_lists_keep_the_ranking(drama_heavy, person):
    assert dramas(person) == 10
    assert not diversity_for(workspace=default_workspace().pk, placement="top_picks").shapes_lists


def test_a_placement_setting_spreads_its_lists(drama_heavy, person):
    setting("top_picks", diversity=1.0)
    assert dramas(person) <= 6
    assert dramas(person, placement="api_recommendations") == 10  # another placement keeps its ranking


def test_the_setting_for_every_list_applies_where_a_placement_has_none(drama_heavy, person):
    setting("", diversity=1.0)
    setting("top_picks", diversity=0.0)
    assert dramas(person) == 10
    assert dramas(person, placement="api_recommendations") <= 6


def test_a_genre_cap_holds_whatever_the_weight_asked_for(drama_heavy, person):
    setting("top_picks", diversity=0.0, cap_per_genre=3)
    listed = feed_for_user(user=person, workspace=default_workspace().pk, limit=10)
    assert sum(r.item.genres.filter(name="Drama").exists() for r in listed) == 3
    heavy = feed_for_user(user=person, workspace=default_workspace().pk, limit=10, diversity=0.0)
    assert sum(r.item.genres.filter(name="Drama").exists() for r in heavy) == 3


def test_a_given_weight_replaces_the_settings_for_one_list(drama_heavy, person):
    setting("top_picks", diversity=1.0)
    assert dramas(person, diversity=0.0) == 10


def test_editing_or_deleting_a_setting_changes_the_next_list(drama_heavy, person):
    made = setting("top_picks", diversity=1.0)
    assert dramas(person) <= 6
    made.diversity = 0.0
    diversity_setting_save(made)
    assert dramas(person) == 10
    made.diversity = 1.0
    diversity_setting_save(made)
    diversity_setting_delete(made)
    assert dramas(person) == 10


def test_a_setting_written_by_another_process_counts_once_the_stamp_is_checked(drama_heavy, person, monkeypatch):
    assert dramas(person) == 10
    DiversitySetting.objects.create(workspace=default_workspace(), placement="top_picks", diversity=1.0)
    assert dramas(person) == 10  # this process checks the stamp every CHECK_SECONDS
    monkeypatch.setattr(rules, "CHECK_SECONDS", 0.0)
    assert dramas(person) <= 6


def test_another_workspaces_setting_leaves_these_lists_alone(drama_heavy, person):
    DiversitySetting.objects.create(workspace=WorkspaceFactory(slug="elsewhere"), placement="", diversity=1.0)
    assert dramas(person) == 10


def test_the_home_page_rows_follow_their_placements_settings(drama_heavy, client):
    visitor = client.get("/").wsgi_request.user
    plain = next(row for row in home_feed(user=visitor) if row.key == "popular")
    assert all(card.item.genres.filter(name="Drama").exists() for card in plain.cards)
    setting("home", cap_per_genre=2)
    popular = next(row for row in home_feed(user=visitor) if row.key == "popular")
    assert sum(card.item.genres.filter(name="Drama").exists() for card in popular.cards) == 2
    assert len(popular.cards) >= 6  # filled from deeper in the ranking, not cut short


def test_one_setting_per_placement(drama_heavy):
    setting("home", diversity=0.5)
    with pytest.raises(ValidationError, match="already has a diversity setting"):
        setting("home", diversity=0.2)


@pytest.mark.parametrize(("fields", "field"), [({"diversity": 1.5}, "diversity"), ({"diversity": -0.1}, "diversity"),
                                               ({"cap_per_genre": 0}, "cap_per_genre")])  # fmt: skip
def test_out_of_range_values_are_refused_on_their_field(fields, field):
    with pytest.raises(ValidationError) as refused:
        setting("home", **fields)
    assert field in refused.value.message_dict
    assert not DiversitySetting.objects.exists()


@pytest.fixture
def root(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_staff_set_a_placements_diversity_in_the_admin_and_the_list_follows(root, drama_heavy, person):
    form = {"workspace": default_workspace().pk, "placement": "top_picks", "diversity": "1", "cap_per_genre": "",
            "cap_per_creator": ""}  # fmt: skip
    response = root.post(reverse("admin:recommendations_diversitysetting_add"), form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert dramas(person) <= 6
    page = root.get(reverse("admin:recommendations_diversitysetting_changelist")).content.decode()
    assert "Home: top picks" in page
    twice = root.post(reverse("admin:recommendations_diversitysetting_add"), form)
    assert twice.status_code == 200 and "already has a diversity setting" in twice.content.decode()


def test_staff_of_one_workspace_do_not_see_anothers_settings(client):
    acme, globex = WorkspaceFactory(slug="acme"), WorkspaceFactory(slug="globex")
    DiversitySetting.objects.create(workspace=globex, placement="home", diversity=0.9)
    mine = DiversitySetting.objects.create(workspace=acme, placement="home", diversity=0.3)
    staff = UserFactory(is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename__endswith="diversitysetting"))
    acme.staff.add(staff)
    client.force_login(staff)
    page = client.get(reverse("admin:recommendations_diversitysetting_changelist"))
    assert page.status_code == 200
    assert list(page.context["cl"].queryset) == [mine]
    other = DiversitySetting.objects.get(workspace=globex)
    elsewhere = client.get(reverse("admin:recommendations_diversitysetting_change", args=[other.pk]))
    assert elsewhere.status_code == 302 and elsewhere.url == reverse("admin:index")
