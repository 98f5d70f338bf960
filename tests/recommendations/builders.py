"""A random catalog large enough for sharding and timing tests, written in bulk."""

import numpy as np
from django.contrib.auth import get_user_model

from catalog.models import Genre, Item, Rating
from catalog.services import item_stats_refresh


def build_random_catalog(*, n_users: int, n_items: int, per_user: int, seed: int = 7) -> tuple[list, list]:
    rng = np.random.default_rng(seed)
    genres = [Genre.objects.get_or_create(name=f"G{g}", slug=f"g{g}")[0] for g in range(4)]
    items = Item.objects.bulk_create([Item(title=f"Random {i}", year=2000) for i in range(n_items)])
    items = list(Item.objects.order_by("pk"))[-n_items:]
    for i, item in enumerate(items):
        item.genres.add(genres[i % 4])
    User = get_user_model()
    User.objects.bulk_create([User(username=f"r{u}") for u in range(n_users)])
    users = list(User.objects.filter(username__startswith="r").order_by("pk"))
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.8
    ratings = []
    for user in users:
        picks = rng.choice(n_items, size=per_user, replace=False, p=popularity / popularity.sum())
        for i in picks.tolist():
            ratings.append(Rating(user=user, item=items[i], value=float(rng.integers(1, 11)) / 2))
    Rating.objects.bulk_create(ratings)
    item_stats_refresh()
    return users, items
