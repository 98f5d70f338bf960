"""A tiny catalog with two clear tastes, so recommendations are predictable."""

from dataclasses import dataclass

import pytest

from catalog.models import Item, Rating
from catalog.services import item_stats_refresh
from tests.factories import GenreFactory, ItemFactory, UserFactory


@dataclass
class TinyCatalog:
    scifi: list[Item]
    romance: list[Item]
    fans: list  # users who rate sci-fi highly
    lovers: list  # users who rate romance highly


def build_tiny_catalog(n_items: int = 8, n_users: int = 10) -> TinyCatalog:
    scifi_genre, romance_genre = GenreFactory(name="Sci-Fi"), GenreFactory(name="Romance")
    scifi = [ItemFactory(title=f"Space {i}", genres=[scifi_genre]) for i in range(n_items)]
    romance = [ItemFactory(title=f"Love {i}", genres=[romance_genre]) for i in range(n_items)]
    fans = [UserFactory(username=f"fan{i}") for i in range(n_users)]
    lovers = [UserFactory(username=f"lover{i}") for i in range(n_users)]
    ratings = []
    for group, liked in ((fans, scifi), (lovers, romance)):
        for u, user in enumerate(group):
            # Everyone rates most of their side; item 0 is the most popular of each side.
            for i, item in enumerate(liked):
                if (u + i) % 4 != 3 or i == 0:
                    ratings.append(Rating(user=user, item=item, value=5.0 if i % 2 == 0 else 4.0))
    Rating.objects.bulk_create(ratings)
    item_stats_refresh()
    return TinyCatalog(scifi, romance, fans, lovers)


@pytest.fixture
def tiny_catalog(db):
    return build_tiny_catalog()
