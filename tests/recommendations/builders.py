"""Catalogs for training tests: a random one large enough for sharding and timing, written in bulk,
and a small one with two clear tastes in a workspace of its own."""

import numpy as np
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import Profile
from catalog.bulk import insert_rows
from catalog.models import Genre, Item, Rating
from catalog.services import item_stats_refresh
from core.workspaces import default_workspace_id
from tests.catalog_builders import TinyCatalog, build_tiny_catalog
from tests.factories import UserFactory


def build_random_catalog(
    *, n_users: int, n_items: int, per_user: int, seed: int = 7, workspace_id: int | None = None
) -> tuple[list, list]:
    """Random ratings in a workspace (default: the website's), skewed towards popular items."""
    workspace_id = workspace_id or default_workspace_id()
    rng = np.random.default_rng(seed)
    genres = [
        Genre.objects.get_or_create(workspace_id=workspace_id, name=f"G{g}", defaults={"slug": f"g{g}"})[0]
        for g in range(4)
    ]
    Item.objects.bulk_create([Item(workspace_id=workspace_id, title=f"Random {i}", year=2000) for i in range(n_items)])
    items = list(Item.objects.filter(workspace_id=workspace_id).order_by("pk"))[-n_items:]
    Genre.items.through.objects.bulk_create(
        [Genre.items.through(item_id=item.pk, genre_id=genres[i % 4].pk) for i, item in enumerate(items)]
    )
    User = get_user_model()
    prefix = f"r{workspace_id}-"
    User.objects.bulk_create([User(username=f"{prefix}{u}") for u in range(n_users)])
    users = list(User.objects.filter(username__startswith=prefix).order_by("pk"))
    Profile.objects.bulk_create([Profile(user=user, workspace_id=workspace_id) for user in users])
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.8
    ratings = []
    for user in users:
        picks = rng.choice(n_items, size=per_user, replace=False, p=popularity / popularity.sum())
        for i in picks.tolist():
            now = timezone.now()
            ratings.append((user.pk, items[i].pk, float(rng.integers(1, 11)) / 2, now, now))
    # The rows an import writes, through the same bulk path (catalog.bulk): thousands of ORM objects cost seconds.
    insert_rows(Rating, ("user_id", "item_id", "value", "created_at", "updated_at"), ratings)
    item_stats_refresh()
    return users, items


def people_of(workspace, *usernames: str) -> list:
    """Accounts that are people of `workspace` (one-at-a-time accounts start in `default`)."""
    users = [UserFactory(username=name) for name in usernames]
    Profile.objects.filter(user__in=users).update(workspace=workspace)
    return users


def build_tenant_catalog(workspace, *, prefix: str, n_items: int = 8, n_users: int = 10) -> TinyCatalog:
    """The tiny catalog's two tastes (see tests.catalog_builders) as a workspace's own items and people."""
    return build_tiny_catalog(n_items, n_users, workspace=workspace, prefix=prefix)
