from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Interaction, Item, Rating
from catalog.services import item_stats_refresh
from recommendations.feed import PER_ROW, home_feed
from tests.factories import GenreFactory, InteractionFactory, ItemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_shelf(db):
    """Three genres of 20 items, each rated by a few people, popularity falling with the index."""
    raters = [UserFactory(username=f"rater{i}") for i in range(6)]
    shelf = {}
    for name in ("Drama", "Comedy", "Horror"):
        genre = GenreFactory(name=name)
        shelf[name] = [ItemFactory(title=f"{name} {i}", genres=[genre]) for i in range(20)]
        Rating.objects.bulk_create(
            Rating(user=rater, item=item, value=4.0)
            for i, item in enumerate(shelf[name])
            for rater in raters[: 6 - i // 4]
        )
    item_stats_refresh()
    return shelf


def keys(rows):
    return [row.key for row in rows]


def test_rows_for_visitors_do_not_repeat_titles(big_shelf):
    rows = home_feed(user=AnonymousUser())

    assert keys(rows)[:3] == ["popular", "trending", "new"]
    assert any(key.startswith("genre-") for key in keys(rows))
    # Five full rows use up the 60 titles without a repeat; only a row after that may repeat some.
    pks = [card.item.pk for row in rows[:5] for card in row.cards]
    assert len(pks) == len(set(pks)) == 60
    assert all(len(row.cards) <= PER_ROW for row in rows)


def test_a_member_gets_rows_for_their_favourite_genres_without_what_they_saw(big_shelf):
    member = UserFactory(username="scared")
    for item in big_shelf["Horror"][:3]:
        InteractionFactory(user=member, item=item, kind=Interaction.Kind.LIKE)
    Rating.objects.create(user=member, item=big_shelf["Drama"][0], value=4.5)

    rows = home_feed(user=member)

    assert "genre-horror" in keys(rows)
    horror = next(row for row in rows if row.key == "genre-horror")
    assert horror.title == "Popular in Horror"
    seen = {*(i.pk for i in big_shelf["Horror"][:3]), big_shelf["Drama"][0].pk}
    assert not seen & {card.item.pk for row in rows for card in row.cards}


def test_because_you_liked_rows_start_from_the_most_recent_likes(big_shelf):
    member = UserFactory(username="recent")
    now = timezone.now()
    old, new = big_shelf["Comedy"][0], big_shelf["Horror"][0]
    Rating.objects.create(user=member, item=old, value=5.0, updated_at=now - timedelta(days=30))
    InteractionFactory(user=member, item=new, kind=Interaction.Kind.LIKE, created_at=now)

    rows = home_feed(user=member)

    because = [row for row in rows if row.key.startswith("because-")]
    assert [row.title for row in because] == ["Because you liked Horror 0", "Because you liked Comedy 0"]
    assert all(card.reason == "Similar to Horror 0" for card in because[0].cards)


def test_disliked_items_are_never_anchors_nor_cards(big_shelf):
    member = UserFactory(username="grumpy")
    Rating.objects.create(user=member, item=big_shelf["Drama"][1], value=5.0)
    InteractionFactory(user=member, item=big_shelf["Drama"][1], kind=Interaction.Kind.DISLIKE)
    InteractionFactory(user=member, item=big_shelf["Comedy"][0], kind=Interaction.Kind.NOT_INTERESTED)

    rows = home_feed(user=member)

    assert not [row for row in rows if row.key.startswith("because-")]
    shown = {card.item.pk for row in rows for card in row.cards}
    assert big_shelf["Comedy"][0].pk not in shown and big_shelf["Drama"][1].pk not in shown


def test_a_small_catalog_repeats_titles_rather_than_show_empty_rows(tiny_catalog):
    rows = home_feed(user=AnonymousUser())
    assert all(len(row.cards) >= 4 for row in rows)


def test_a_cached_feed_still_drops_an_item_hidden_a_moment_ago(big_shelf):
    visitor = AnonymousUser()
    first = home_feed(user=visitor)[0].cards[0].item
    first.is_active = False
    first.save()

    shown = {card.item.pk for row in home_feed(user=visitor) for card in row.cards}

    assert first.pk not in shown


def test_a_cached_feed_reflects_a_new_rating_at_once(big_shelf):
    member = UserFactory(username="quickfeed")
    Rating.objects.create(user=member, item=big_shelf["Drama"][0], value=4.0)
    top = home_feed(user=member)[0].cards[0].item

    Rating.objects.create(user=member, item=top, value=2.0)

    assert top.pk not in {card.item.pk for row in home_feed(user=member) for card in row.cards}


def test_a_member_who_saw_every_shared_candidate_still_gets_a_full_genre_row(big_shelf, monkeypatch):
    monkeypatch.setattr("recommendations.feed.SHARED_CANDIDATES", 6)
    home_feed(user=AnonymousUser())  # fills the shared lists with the 6 most popular of each row
    member = UserFactory(username="completist")
    horror = big_shelf["Horror"]
    Rating.objects.bulk_create(Rating(user=member, item=item, value=4.5) for item in horror[:10])

    row = next(row for row in home_feed(user=member) if row.key == "genre-horror")

    assert [card.item for card in row.cards][:3] == horror[10:13]  # the next most popular ones, from the database


def test_a_hidden_item_leaves_the_shared_rows_at_once(big_shelf):
    top_drama = big_shelf["Drama"][0]
    member = UserFactory(username="dramatic")
    InteractionFactory(user=member, item=big_shelf["Drama"][5], kind=Interaction.Kind.LIKE)
    before = home_feed(user=member)
    assert top_drama in [card.item for row in before for card in row.cards]

    top_drama.is_active = False
    top_drama.save(update_fields=["is_active"])

    after = home_feed(user=AnonymousUser()) + home_feed(user=member)
    assert top_drama not in [card.item for row in after for card in row.cards]


def test_a_hidden_item_gives_way_to_the_next_one_at_once(big_shelf):
    visitor = AnonymousUser()
    popular = home_feed(user=visitor)[0]
    assert popular.key == "popular" and len(popular.cards) == PER_ROW
    hidden = popular.cards[0].item
    Item.objects.filter(pk=hidden.pk).update(is_active=False)  # even an update that leaves updated_at alone

    again = home_feed(user=visitor)[0]

    # The cached rows were rebuilt, not merely thinned: the row is still full.
    assert hidden not in [card.item for card in again.cards] and len(again.cards) == PER_ROW


def test_a_cached_feed_costs_one_query_to_prove_current(big_shelf):
    member = UserFactory(username="regular")
    InteractionFactory(user=member, item=big_shelf["Drama"][5], kind=Interaction.Kind.LIKE)
    first = home_feed(user=member)

    with CaptureQueriesContext(connection) as queries:
        again = home_feed(user=member)

    assert [row.key for row in again] == [row.key for row in first]
    # The freshness check (history and listed items), then the cards' items and their genres
    # (and, every few seconds, which model version is active: not what this counts).
    sqls = [query["sql"] for query in queries if "recommendations_modelversion" not in query["sql"]]
    assert len(sqls) == 3, sqls


def test_no_row_shows_another_workspaces_items(tiny_catalog, media_root):
    from recommendations.training import train_model_version
    from recommendations.trending import trending_refresh
    from tests.factories import WorkspaceFactory
    from tests.recommendations.builders import build_tenant_catalog

    # A partner's titles in its own workspace, as popular and as new as can be, with their own model and
    # trending list, and named like what the member likes.
    partner = WorkspaceFactory(slug="partner")
    theirs = build_tenant_catalog(partner, prefix="Partner")
    for workspace in (partner.pk, None):
        train_model_version(workspace_id=workspace)
    for workspace in (partner.pk, tiny_catalog.scifi[0].workspace_id):
        trending_refresh(workspace=workspace)
    member = UserFactory(username="newfan")
    Rating.objects.create(user=member, item=tiny_catalog.scifi[0], value=5.0)

    for person in (member, AnonymousUser()):
        shown = {card.item.pk for row in home_feed(user=person) for card in row.cards}
        assert shown, "the feed has rows"
        assert not shown & {item.pk for item in theirs.scifi + theirs.romance}
