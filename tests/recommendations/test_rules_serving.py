"""Rules on the lists people see: every action on every kind of target, when, for whom and where they apply."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Interaction, Item
from core import process_caches
from core.workspaces import default_workspace
from recommendations import rules
from recommendations.feed import home_feed
from recommendations.models import Rule
from recommendations.rules import FEATURED, rule_delete, rule_save, rule_sets
from recommendations.serving import feed_for_user, similar_items_for
from recommendations.trending import trending_items
from tests.factories import GenreFactory, InteractionFactory, ItemFactory, RatingFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf():
    """Ten popular films, most popular first: 0-4 dramas, 5-9 comedies; 8-9 series by Varda, from the 70s,
    tagged "cult", added today; the others years old."""
    drama, comedy = GenreFactory(name="Drama"), GenreFactory(name="Comedy")
    cult = TagFactory(name="cult")
    items = []
    for n in range(10):
        special = n >= 8
        item = ItemFactory(
            title=f"Film {n}", rating_count=100 - n, genres=[drama if n < 5 else comedy],
            kind=Item.Kind.SERIES if special else Item.Kind.MOVIE, year=1975 if special else 2005,
            creators=["Agnès Varda"] if special else ["Someone Else"],
        )  # fmt: skip
        if special:
            item.tags.add(cult)
        items.append(item)
    Item.objects.filter(pk__in=[i.pk for i in items[:8]]).update(created_at=timezone.now() - timedelta(days=400))
    return items


@pytest.fixture
def person():
    # Rated something outside the shelf: a person with a history, served the popular list (no model here).
    user = UserFactory()
    RatingFactory(user=user, item=ItemFactory(title="Seen long ago"), value=4.0)
    return user


def rule(**fields) -> Rule:
    created = Rule(workspace=default_workspace(), name="r", **fields)
    rule_save(created)
    return created


def titles(user, **kwargs) -> list[str]:
    return [r.item.title for r in feed_for_user(user=user, workspace=default_workspace().pk, limit=10, **kwargs)]


def target_of(shelf, name: str) -> dict:
    """Rule fields aiming at films 8 and 9 (the series), whichever the target."""
    genre = GenreFactory(name="Special")
    for item in shelf[8:]:
        item.genres.add(genre)
    return {
        "genre": {"target": "genre", "genre": genre},
        "tag": {"target": "tag", "tag": shelf[8].tags.get()},
        "kind": {"target": "kind", "kind": Item.Kind.SERIES},
        "creator": {"target": "creator", "creator": "Agnès Varda"},
        "year_range": {"target": "year_range", "year_min": 1970, "year_max": 1979},
        "new": {"target": "new", "new_days": 7},
    }[name]


TARGETS = ["genre", "tag", "kind", "creator", "year_range", "new"]


def test_without_rules_the_list_is_the_ranking(shelf, person):
    assert titles(person) == [f"Film {n}" for n in range(10)]


@pytest.mark.parametrize("target", TARGETS)
def test_boost_lifts_every_targeted_item(shelf, person, target):
    rule(action="boost", weight=100.0, **target_of(shelf, target))
    assert titles(person)[:2] == ["Film 8", "Film 9"]


@pytest.mark.parametrize("target", TARGETS)
def test_bury_sinks_every_targeted_item(shelf, person, target):
    rule(action="boost", weight=100.0, **target_of(shelf, target))
    Rule.objects.update(action="bury")
    rule(action="bury", weight=100.0, target="item", item=shelf[0])
    assert titles(person)[-3:] == ["Film 0", "Film 8", "Film 9"]


@pytest.mark.parametrize("target", TARGETS)
def test_block_removes_every_targeted_item(shelf, person, target):
    rule(action="block", **target_of(shelf, target))
    assert titles(person) == [f"Film {n}" for n in range(8)]


def test_block_and_boost_of_one_item(shelf, person):
    rule(action="block", target="item", item=shelf[0])
    rule(action="boost", weight=50.0, target="item", item=shelf[5])
    assert titles(person)[:2] == ["Film 5", "Film 1"]
    assert "Film 0" not in titles(person)


def test_a_pin_puts_its_item_at_its_position_with_a_reason_and_its_rule(shelf, person):
    pin = rule(action="pin", position=2, target="item", item=shelf[9])
    found = feed_for_user(user=person, workspace=default_workspace().pk, limit=10)
    assert [r.item.title for r in found][:3] == ["Film 0", "Film 9", "Film 1"]
    assert (found[1].reason, found[1].rule) == (FEATURED, pin.pk)


def test_a_pin_brings_in_an_item_that_was_not_a_candidate(shelf, person):
    obscure = ItemFactory(title="Obscure documentary", rating_count=0)
    rule(action="pin", position=1, target="item", item=obscure)
    assert titles(person)[0] == "Obscure documentary"


def test_block_beats_pin_beats_boost(shelf, person):
    rule(action="boost", weight=1000.0, target="item", item=shelf[7])
    rule(action="pin", position=5, target="item", item=shelf[7])
    rule(action="pin", position=1, target="item", item=shelf[6])
    rule(action="block", target="item", item=shelf[6])
    listed = titles(person)
    assert listed.index("Film 7") == 4
    assert "Film 6" not in listed


@pytest.mark.parametrize("how", ["rated", "dislike", "not_interested", "hidden"])
def test_rules_never_bring_back_what_the_person_disliked_hid_or_consumed(shelf, person, how):
    item = shelf[3]
    if how == "rated":
        RatingFactory(user=person, item=item, value=5.0)
    elif how == "hidden":
        Item.objects.filter(pk=item.pk).update(is_active=False)
    else:
        InteractionFactory(user=person, item=item, kind=getattr(Interaction.Kind, how.upper()))
    rule(action="pin", position=1, target="item", item=item)
    rule(action="boost", weight=100.0, target="item", item=item)
    assert "Film 3" not in titles(person)


def test_a_time_window_bounds_a_rule(shelf, person):
    now = timezone.now()
    rule(action="block", target="item", item=shelf[0], starts_at=now + timedelta(hours=1))
    rule(action="block", target="item", item=shelf[1], ends_at=now - timedelta(hours=1))
    rule(
        action="block",
        target="item",
        item=shelf[2],
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    assert titles(person)[:3] == ["Film 0", "Film 1", "Film 3"]


def test_a_segment_rule_applies_to_people_with_few_interactions_only(shelf, person):
    rule(action="pin", position=1, target="item", item=shelf[9], max_interactions=2)
    newcomer = UserFactory()
    assert titles(newcomer)[0] == "Film 9"
    RatingFactory(user=person, item=ItemFactory(title="Another"), value=4.0)  # two interactions now
    assert titles(person)[0] == "Film 0"


def test_a_placement_rule_shapes_its_placement_only(shelf, person):
    rule(action="block", target="item", item=shelf[0], placement="similar")
    rule(action="block", target="item", item=shelf[1], placement="top_picks")
    assert titles(person)[:2] == ["Film 0", "Film 2"]
    assert shelf[0] not in similar_items_for(item=shelf[2], limit=10)
    assert shelf[1] in similar_items_for(item=shelf[2], limit=10)


def test_trending_lists_follow_their_rules(shelf):
    rule(action="block", target="genre", genre=shelf[0].genres.get(), placement="api_trending")
    listed = trending_items(workspace=default_workspace().pk, limit=10, placement="api_trending")
    assert listed == shelf[5:]
    assert trending_items(workspace=default_workspace().pk, limit=10) == shelf


def test_deleting_a_rule_restores_the_list(shelf, person):
    pin = rule(action="pin", position=1, target="item", item=shelf[9])
    assert titles(person)[0] == "Film 9"
    rule_delete(pin)
    assert titles(person)[0] == "Film 0"


def test_the_home_page_rows_follow_their_placements(shelf, client):
    rule(action="block", target="genre", genre=shelf[0].genres.get(), placement="home")
    rule(action="pin", position=1, target="item", item=shelf[9], placement="home")
    rows = home_feed(user=client.get("/").wsgi_request.user)
    popular = next(row for row in rows if row.key == "popular")
    assert popular.cards[0].item == shelf[9] and popular.cards[0].reason == FEATURED
    assert not {card.item for card in popular.cards} & set(shelf[:5])


def test_a_rule_written_by_another_process_counts_once_the_stamp_is_checked(shelf, person, monkeypatch):
    assert titles(person)[0] == "Film 0"
    Rule.objects.create(workspace=default_workspace(), name="elsewhere", action="block", target="item", item=shelf[0])
    assert titles(person)[0] == "Film 0"  # this process checks the stamp every CHECK_SECONDS
    monkeypatch.setattr(rules, "CHECK_SECONDS", 0.0)
    assert titles(person)[0] == "Film 1"


def test_clearing_the_process_caches_forgets_compiled_rules(shelf):
    rule(action="block", target="item", item=shelf[0])
    assert len(rule_sets.get(default_workspace().pk).ids) == 1
    process_caches.clear_all()
    assert rule_sets._entries == {}
