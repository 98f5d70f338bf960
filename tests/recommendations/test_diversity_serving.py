"""Diversity re-ranking of a served list from the items' genres, tags and creators."""

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import ItemTag
from recommendations.diversity import diversify
from tests.factories import GenreFactory, ItemFactory, TagFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def drama_heavy(db):
    """14 Dramas scored above 6 items of three other genres: the plain top 10 is all Drama."""
    drama = GenreFactory(name="Drama")
    others = [GenreFactory(name=name) for name in ("Comedy", "Horror", "Western")]
    items = [ItemFactory(title=f"Drama {i}", genres=[drama]) for i in range(14)]
    items += [ItemFactory(title=f"Other {i}", genres=[others[i % 3]]) for i in range(6)]
    pks = np.array([item.pk for item in items])
    scores = np.linspace(1.0, 0.1, len(items))
    return pks, scores, {item.pk: item.genres.get().name for item in items}


def test_diversity_zero_is_the_plain_ranking_and_reads_nothing(drama_heavy):
    pks, scores, _ = drama_heavy
    scores = scores.copy()
    scores[1] = -np.inf  # e.g. blocked by a rule
    shuffled = np.random.default_rng(0).permutation(len(pks))

    with CaptureQueriesContext(connection) as queries:
        listed = diversify(1, pks[shuffled], scores[shuffled], diversity=0.0, limit=5)

    assert listed.tolist() == [pks[0], *pks[2:6]]
    assert len(queries) == 0


def test_diversity_one_keeps_the_commonest_genre_on_at_most_60_percent(drama_heavy):
    pks, scores, genre_of = drama_heavy
    workspace = ItemFactory._meta.model.objects.get(pk=pks[0]).workspace_id

    plain = diversify(workspace, pks, scores, diversity=0.0, limit=10)
    spread = diversify(workspace, pks, scores, diversity=1.0, limit=10)

    def drama_share(listed):
        return sum(genre_of[pk] == "Drama" for pk in listed) / len(listed)

    assert len(spread) == 10
    assert drama_share(plain) == 1.0
    assert drama_share(spread) <= 0.6
    assert spread[0] == pks[0]  # the best item still leads


def test_a_genre_cap_holds_even_without_diversity(drama_heavy):
    pks, scores, genre_of = drama_heavy
    workspace = ItemFactory._meta.model.objects.get(pk=pks[0]).workspace_id

    listed = diversify(workspace, pks, scores, diversity=0.0, limit=10, cap_per_genre=3)

    assert [genre_of[pk] for pk in listed].count("Drama") == 3
    assert listed[:3].tolist() == pks[:3].tolist()
    assert len(listed) == 9  # three genres of 2 items each, plus three Dramas: the cap is hard


def test_a_creator_cap_and_creator_similarity(db):
    drama = GenreFactory(name="Drama")
    lucas = [ItemFactory(title=f"Saga {i}", genres=[drama], creators=["George Lucas"]) for i in range(5)]
    others = [ItemFactory(title=f"Film {i}", genres=[drama], creators=[f"Director {i}"]) for i in range(5)]
    pks = np.array([item.pk for item in lucas + others])
    scores = np.linspace(1.0, 0.5, 10)
    workspace = drama.workspace_id
    saga = {item.pk for item in lucas}

    capped = diversify(workspace, pks, scores, diversity=0.0, limit=6, cap_per_creator=2)
    spread = diversify(workspace, pks, scores, diversity=1.0, limit=4)

    assert sum(pk in saga for pk in capped) == 2 and len(capped) == 6
    assert sum(pk in saga for pk in spread) == 1  # the same genre everywhere: the creator tells them apart


def test_a_shared_tag_counts_as_similarity(db):
    comedy = GenreFactory(name="Comedy")
    franchise = TagFactory(name="franchise")
    tagged = [ItemFactory(title=f"Sequel {i}", genres=[comedy]) for i in range(4)]
    ItemTag.objects.bulk_create(ItemTag(item=item, tag=franchise) for item in tagged)
    plain = [ItemFactory(title=f"Comedy {i}", genres=[comedy]) for i in range(4)]
    pks = np.array([item.pk for item in tagged + plain])

    listed = diversify(comedy.workspace_id, pks, np.linspace(1.0, 0.5, 8), diversity=1.0, limit=2)

    assert listed.tolist() == [tagged[0].pk, plain[0].pk]  # the same genre: the tag tells them apart


def test_pinned_items_keep_their_position_even_when_not_candidates(drama_heavy):
    pks, scores, _ = drama_heavy
    workspace = ItemFactory._meta.model.objects.get(pk=pks[0]).workspace_id
    outsider = ItemFactory(title="Documentary")
    blocked_scores = scores.copy()
    blocked_scores[5] = -np.inf

    for diversity in (0.0, 0.7):
        listed = diversify(
            workspace, pks, blocked_scores, diversity=diversity, limit=5, fixed={0: outsider.pk, 3: pks[5]}
        )
        assert len(listed) == 5
        assert listed[0] == outsider.pk and listed[3] == pks[5]
        assert len(set(listed.tolist())) == 5


def test_a_long_candidate_list_is_read_in_three_queries(drama_heavy):
    pks, scores, _ = drama_heavy
    workspace = ItemFactory._meta.model.objects.get(pk=pks[0]).workspace_id
    unknown = np.arange(10_000, 12_000)  # pks without genres, tags or creators: unlike everything
    many = np.concatenate([pks, unknown])
    many_scores = np.concatenate([scores, np.linspace(0.09, 0.01, len(unknown))])

    with CaptureQueriesContext(connection) as queries:
        listed = diversify(workspace, many, many_scores, diversity=0.5, limit=10)

    assert len(queries) == 3
    assert len(listed) == 10
    assert set(listed.tolist()) <= set(pks.tolist()) | set(unknown[:80].tolist())
    assert not any("10999" in query["sql"] for query in queries.captured_queries)  # only the 100 best are read


def test_another_workspaces_genres_are_not_read(db):
    other = WorkspaceFactory(slug="elsewhere")
    drama = GenreFactory(name="Drama", workspace=other)
    items = [ItemFactory(title=f"Drama {i}", genres=[drama], workspace=other) for i in range(4)]
    items += [ItemFactory(title=f"Comedy {i}", workspace=other, genres=[GenreFactory(name="Comedy", workspace=other)])
              for i in range(2)]  # fmt: skip
    pks = np.array([item.pk for item in items])
    scores = np.linspace(1.0, 0.5, 6)

    seen_from_elsewhere = diversify(other.pk + 1000, pks, scores, diversity=1.0, limit=3)
    seen_at_home = diversify(other.pk, pks, scores, diversity=1.0, limit=3)

    assert seen_from_elsewhere.tolist() == pks[:3].tolist()  # no features: nothing to spread
    assert seen_at_home.tolist() == [pks[0], pks[4], pks[1]]


def test_mismatched_arrays_are_an_error():
    with pytest.raises(ValueError, match="3 items for 2 scores"):
        diversify(1, np.array([1, 2, 3]), np.array([0.5, 0.4]), diversity=0.5, limit=2)
