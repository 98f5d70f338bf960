"""The website's browse filters and the API's item filters accept the same values."""

import pytest
from django.urls import reverse

from api.filters import ItemFilter
from catalog.forms import BrowseForm
from catalog.models import Item
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db

# (website parameter, API parameter): values, good and bad, both front ends must judge alike.
SHARED = {
    ("kind", "kind"): ["movie", "series", "opera", "Movie"],
    ("year_min", "year_min"): ["1700", "0", "9999", "10000", "-1", "abc", "1999.0", " 1999 "],
    ("year_max", "year_max"): ["2150", "1999.5"],
    ("q", "search"): ["heat", "x" * 200, "x" * 201],
}


@pytest.mark.parametrize(("website", "api"), SHARED)
def test_the_website_and_the_api_accept_the_same_values(website, api):
    for value in SHARED[website, api]:
        site = BrowseForm({website: value})
        site.is_valid()
        partner = ItemFilter({api: value}, queryset=Item.objects.none()).form
        partner.is_valid()
        assert (website in site.errors) == (api in partner.errors), (website, value)


def test_a_bad_value_drops_only_its_own_filter(client):
    series = ItemFactory(title="Twin Peaks", kind=Item.Kind.SERIES, year=1990)
    ItemFactory(title="Heat", kind=Item.Kind.MOVIE, year=1995)

    response = client.get(reverse("browse"), {"kind": "series", "year_min": "nineteen"})

    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [series]
    assert "year_min" in response.context["form"].errors
