import pytest
from django.urls import reverse

from catalog.models import Item
from catalog.selectors import title_index
from tests.factories import GenreFactory, ItemFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_titles():
    title_index.clear()
    yield
    title_index.clear()


def titles(response):
    return [item.title for item in response.context["page"].object_list]


@pytest.fixture
def shelf(db):
    drama, comedy = GenreFactory(name="Drama"), GenreFactory(name="Comedy")
    return {
        "godfather": ItemFactory(title="The Godfather", year=1972, genres=[drama], rating_count=300, rating_avg=4.5),
        "godfather2": ItemFactory(
            title="The Godfather: Part II", year=1974, genres=[drama], rating_count=200, rating_avg=4.3
        ),
        "airplane": ItemFactory(title="Airplane!", year=1980, genres=[comedy], rating_count=250, rating_avg=3.8),
        "obscure": ItemFactory(title="Obscure Gem", year=2015, genres=[comedy], rating_count=2, rating_avg=5.0),
        "show": ItemFactory(title="Godfather Show", year=2001, kind=Item.Kind.SERIES, rating_count=5, rating_avg=3.0),
        "hidden": ItemFactory(title="The Godfather Hidden", year=1990, is_active=False, rating_count=999),
    }  # fmt: skip


def test_it_lists_the_catalog_by_popularity(client, shelf):
    response = client.get(reverse("browse"))
    assert response.status_code == 200
    assert titles(response)[:3] == ["The Godfather", "Airplane!", "The Godfather: Part II"]
    assert "The Godfather Hidden" not in titles(response)


def test_it_searches_titles(client, shelf):
    response = client.get(reverse("browse"), {"q": "godfather"})
    assert set(titles(response)) == {"The Godfather", "The Godfather: Part II", "Godfather Show"}
    assert "Results for “godfather”" in response.content.decode()


def test_it_forgives_a_small_typo(client, shelf):
    response = client.get(reverse("browse"), {"q": "godfater"})
    assert "The Godfather" in titles(response)
    assert response.context["corrected"] == "godfather"
    assert "Showing titles matching “godfather”" in response.content.decode()


def test_it_says_so_when_nothing_matches(client, shelf):
    response = client.get(reverse("browse"), {"q": "zzzzqqq"})
    assert titles(response) == []
    assert "No titles match" in response.content.decode()


def test_it_filters_by_kind_genre_and_years(client, shelf):
    assert titles(client.get(reverse("browse"), {"kind": "series"})) == ["Godfather Show"]
    assert set(titles(client.get(reverse("browse"), {"genre": "comedy"}))) == {"Airplane!", "Obscure Gem"}
    response = client.get(reverse("browse"), {"year_min": 1973, "year_max": 1990})
    assert set(titles(response)) == {"The Godfather: Part II", "Airplane!"}


def test_a_reversed_year_range_is_understood(client, shelf):
    response = client.get(reverse("browse"), {"year_min": 1990, "year_max": 1973})
    assert set(titles(response)) == {"The Godfather: Part II", "Airplane!"}


def test_it_sorts_by_rating_ignoring_titles_with_few_votes(client, shelf):
    response = client.get(reverse("browse"), {"sort": "rating"})
    assert titles(response) == ["The Godfather", "The Godfather: Part II", "Airplane!"]
    assert "with at least 10 ratings" in response.content.decode()


def test_it_sorts_by_newest(client, shelf):
    assert titles(client.get(reverse("browse"), {"sort": "newest"}))[0] == "Obscure Gem"


def test_bad_filter_values_do_not_break_the_page(client, shelf):
    response = client.get(reverse("browse"), {"year_min": "abc", "sort": "nonsense", "page": "999"})
    assert response.status_code == 200


def test_it_paginates_and_keeps_the_filters(client, db):
    genre = GenreFactory(name="Drama")
    for i in range(30):
        ItemFactory(title=f"Film {i:02}", genres=[genre], rating_count=100 - i)

    first = client.get(reverse("browse"), {"genre": "drama"})
    second = client.get(reverse("browse"), {"genre": "drama", "page": 2})

    assert len(titles(first)) == 24 and len(titles(second)) == 6
    assert "genre=drama&amp;page=2" in first.content.decode()


def test_the_search_box_is_on_every_page(client, shelf):
    content = client.get(reverse("item", args=[shelf["airplane"].pk])).content.decode()
    assert 'role="search"' in content and 'name="q"' in content


def test_a_partner_s_own_items_are_neither_listed_nor_suggested_as_a_spelling(client, shelf):
    ItemFactory(
        title="Godfathr Partner Cut",
        workspace=WorkspaceFactory(slug="initech"),
        source="api",
        source_id="sku-1",
        rating_count=500,
    )

    listed = client.get(reverse("browse"))
    searched = client.get(reverse("browse"), {"q": "godfathr"})

    assert "Godfathr Partner Cut" not in titles(listed)
    # Its title's words are no spelling the website knows either.
    assert "Godfathr Partner Cut" not in titles(searched) and searched.context["corrected"] == "godfather"
