import pytest
from django.db import IntegrityError, transaction

from catalog.models import Item, Rating
from tests.factories import ItemFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_one_rating_per_user_and_item():
    rating = RatingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(user=rating.user, item=rating.item, value=3.0)


@pytest.mark.parametrize("value", [0.0, 0.25, 5.5, 3.3, -1.0])
def test_rating_outside_half_steps_is_refused(value):
    with pytest.raises(IntegrityError), transaction.atomic():
        RatingFactory(value=value)


@pytest.mark.parametrize("value", [0.5, 2.5, 5.0])
def test_rating_in_half_steps_is_kept(value):
    assert RatingFactory(value=value).value == value


def test_items_from_one_source_have_unique_ids():
    ItemFactory(source="movielens", source_id="1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemFactory(source="movielens", source_id="1")
    # Items typed in by staff carry no source and never clash.
    ItemFactory()
    ItemFactory()


def test_hidden_items_leave_the_active_queryset():
    shown, hidden = ItemFactory(), ItemFactory(is_active=False)
    assert list(Item.objects.active()) == [shown]
    assert hidden.pk not in Item.objects.active().values_list("pk", flat=True)


def test_str_shows_title_and_year():
    assert str(ItemFactory(title="Heat", year=1995)) == "Heat (1995)"
    assert str(UserFactory(username="ann")) == "ann"
