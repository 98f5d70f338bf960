"""A tiny catalog with two clear tastes, so recommendations are predictable."""

from dataclasses import dataclass

import pytest

from accounts.models import Profile
from catalog.models import Item, Rating
from catalog.services import item_stats_refresh
from tests.factories import GenreFactory, ItemFactory, UserFactory


@dataclass
class TinyCatalog:
    scifi: list[Item]
    romance: list[Item]
    fans: list  # users who rate sci-fi highly
    lovers: list  # users who rate romance highly


def build_tiny_catalog(n_items: int = 8, n_users: int = 10, *, workspace=None, prefix: str = "") -> TinyCatalog:
    """The two tastes, in the website's catalog or (with `workspace`) as that workspace's own items and
    people; `prefix` keeps titles and usernames apart when several workspaces get one."""
    where = {} if workspace is None else {"workspace": workspace}
    title = f"{prefix} " if prefix else ""
    user = f"{prefix}-" if prefix else ""
    scifi_genre, romance_genre = GenreFactory(name="Sci-Fi", **where), GenreFactory(name="Romance", **where)
    scifi = [ItemFactory(title=f"{title}Space {i}", genres=[scifi_genre], **where) for i in range(n_items)]
    romance = [ItemFactory(title=f"{title}Love {i}", genres=[romance_genre], **where) for i in range(n_items)]
    fans = [UserFactory(username=f"{user}fan{i}") for i in range(n_users)]
    lovers = [UserFactory(username=f"{user}lover{i}") for i in range(n_users)]
    if workspace is not None:  # one-at-a-time accounts start in `default`
        Profile.objects.filter(user__in=fans + lovers).update(workspace=workspace)
    ratings = []
    for group, liked in ((fans, scifi), (lovers, romance)):
        for u, person in enumerate(group):
            # Everyone rates most of their side; item 0 is the most popular of each side.
            for i, item in enumerate(liked):
                if (u + i) % 4 != 3 or i == 0:
                    ratings.append(Rating(user=person, item=item, value=5.0 if i % 2 == 0 else 4.0))
    Rating.objects.bulk_create(ratings)
    item_stats_refresh()
    return TinyCatalog(scifi, romance, fans, lovers)


@pytest.fixture
def tiny_catalog(db):
    return build_tiny_catalog()
