"""Synthetic tenants for `bench_workspaces`: workspaces with a partner's catalog, people and events.

Each workspace takes a few hundred titles of the demo catalog (title, year, genres)
and has people with a taste for one to three genres. Their events follow the demo
catalog's popularity (its rating counts) tilted towards each person's genres, with
ratings high on their genres and low elsewhere, so a model has more to learn than
popularity. Everything goes through the API's service layer, as a partner's
batches would: `items_upsert` and `events_ingest`, with their checks and quotas.
"""

import contextlib
import os
import random
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from django.core.files.storage import default_storage
from django.db.models import Count

from api.ingestion.events import events_ingest
from api.ingestion.items import items_upsert
from api.models import ApiClient, ClientUser
from catalog.models import Item
from catalog.services import people_forget
from core.models import Workspace
from core.workspaces import default_workspace_id, workspace_create
from recommendations.models import ModelVersion

RUN_PREFIX = re.compile(r"^bench-[0-9a-f]{6}(-\d{3,}| load test)$")  # what run_prefix() names, and nothing else
DEMO_POOL = 3000  # the demo catalog's most rated titles, from which each workspace draws its own
ITEMS = (200, 500)  # a workspace's titles (fewer when the demo catalog has fewer)
MIN_TITLES = 50
PEOPLE = (50, 300)
MIN_EVENTS_PER_PERSON = 3
GENRE_TILT = 4.0  # an item of a person's genres is this much more likely than popularity alone says
HISTORY_DAYS = 90
# (kind, probability) of the first event on an item, for items of a person's genres and for the others.
KINDS_LIKED = (("rating", 0.35), ("view", 0.22), ("play", 0.2), ("like", 0.14), ("favorite", 0.05),
               ("purchase", 0.02), ("share", 0.02))  # fmt: skip
KINDS_OTHER = (("rating", 0.35), ("view", 0.33), ("play", 0.15), ("skip", 0.09), ("dislike", 0.04),
               ("like", 0.04))  # fmt: skip
STARS_LIKED = ((3.5, 0.15), (4.0, 0.3), (4.5, 0.3), (5.0, 0.25))
STARS_OTHER = ((1.0, 0.08), (2.0, 0.12), (2.5, 0.15), (3.0, 0.3), (3.5, 0.2), (4.0, 0.15))


@dataclass
class Titles:
    """The demo catalog's titles a workspace draws from, with their popularity."""

    rows: list[dict]  # external_id, title, year, genres: an items_upsert row each
    popularity: np.ndarray  # rating count + 1 of each row


@dataclass
class Tenant:
    workspace_id: int
    slug: str
    key: str  # its API client's key, for the load test
    people: list[str]  # the partner's own ids of its people
    items: int
    events: int


def demo_titles(pool: int = DEMO_POOL) -> Titles:
    """The `pool` most rated titles of the website's catalog; empty when the demo catalog is not loaded."""
    items = list(
        Item.objects.website()
        .active()
        .filter(source="movielens")
        .annotate(n_genres=Count("genres"))
        .filter(n_genres__gt=0)
        .order_by("-rating_count", "pk")
        .values("pk", "title", "year", "rating_count")[:pool]
    )
    genres: dict[int, list[str]] = {}
    through = Item.genres.through.objects.filter(item_id__in=[item["pk"] for item in items])
    for item_id, name in through.values_list("item_id", "genre__name"):
        genres.setdefault(item_id, []).append(name)
    rows = [
        {"external_id": f"t{item['pk']}", "title": item["title"], "year": item["year"], "genres": genres[item["pk"]]}
        for item in items
    ]
    return Titles(rows, np.array([item["rating_count"] + 1 for item in items], dtype=np.float64))


def tenant_data(rng: np.random.Generator, titles: Titles, *, events: int) -> tuple[list[dict], list[dict]]:
    """One workspace's items and `events` events (rows for items_upsert and events_ingest)."""
    n_items = min(len(titles.rows), int(rng.integers(ITEMS[0], ITEMS[1] + 1)))
    n_people = max(1, min(int(rng.integers(PEOPLE[0], PEOPLE[1] + 1)), events // MIN_EVENTS_PER_PERSON))
    chosen = rng.choice(len(titles.rows), size=n_items, replace=False)
    items = [titles.rows[i] for i in chosen]
    names = sorted({name for item in items for name in item["genres"]})
    has_genre = np.array([[name in item["genres"] for name in names] for item in items])  # items x genres
    genre_share = has_genre.sum(axis=0) / has_genre.sum()
    # Each person's activity (a long tail: a few people do much of it), then what they consume.
    activity = rng.lognormal(0.0, 1.0, n_people)
    extra = max(0, events - MIN_EVENTS_PER_PERSON * n_people)
    counts = np.minimum(events, MIN_EVENTS_PER_PERSON) + rng.multinomial(extra, activity / activity.sum())
    people, cols, liked, first = [], [], [], []
    for person, count in enumerate(counts.tolist()):
        taste = rng.choice(len(names), size=min(len(names), int(rng.integers(1, 4))), replace=False, p=genre_share)
        likes = has_genre[:, taste].any(axis=1)
        weights = titles.popularity[chosen] * np.where(likes, GENRE_TILT, 1.0)
        distinct = min(count, n_items // 2)
        seen = rng.choice(n_items, size=distinct, replace=False, p=weights / weights.sum())
        # Beyond one event per item, people come back to what they already have (plays and views).
        mine = np.concatenate([seen, seen[rng.integers(0, distinct, count - distinct)]])
        people.append(np.full(count, person))
        cols.append(mine)
        liked.append(likes[mine])
        first.append(np.arange(count) < distinct)
    people, cols, liked, first = (np.concatenate(a) for a in (people, cols, liked, first))
    return items, _events(rng, people, [items[c]["external_id"] for c in cols.tolist()], liked, first)


def _events(rng, people: np.ndarray, items: list[str], liked: np.ndarray, first: np.ndarray) -> list[dict]:
    """The event rows: kinds and values drawn for all events at once."""
    n = len(items)
    kinds = np.where(liked, _draw(rng, KINDS_LIKED, n), _draw(rng, KINDS_OTHER, n))
    kinds = np.where(first, kinds, np.where(rng.random(n) < 0.6, "play", "view"))
    stars = np.where(liked, _draw(rng, STARS_LIKED, n), _draw(rng, STARS_OTHER, n))
    watched = np.round(np.where(liked, rng.beta(4, 1.5, n), rng.beta(1.5, 3, n)), 3)  # the fraction watched
    now = datetime.now(UTC)
    ages = rng.random(n) * HISTORY_DAYS
    rows = []
    for i, kind in enumerate(kinds.tolist()):
        value = float(stars[i]) if kind == "rating" else float(watched[i]) if kind == "play" else None
        at = (now - timedelta(days=float(ages[i]))).isoformat()
        rows.append({"user": f"p{people[i]}", "item": items[i], "kind": kind, "value": value, "timestamp": at})
    return rows


def _draw(rng, choices, n: int) -> np.ndarray:
    values, p = zip(*choices, strict=True)
    return np.asarray(values)[rng.choice(len(values), size=n, p=p)]


def tenants_create(
    *, prefix: str, count: int, min_events: int, max_events: int, seed: int = 42,
    progress: Callable[[int], None] = lambda done: None,
) -> list[Tenant]:  # fmt: skip
    """`count` workspaces named `prefix`-001…, each with an API client that upserts its items and sends its events."""
    titles = demo_titles()
    if len(titles.rows) < MIN_TITLES:
        raise ValueError(
            f"the demo catalog has {len(titles.rows)} titles with genres, at least {MIN_TITLES} needed: "
            "load it first (python manage.py bootstrap)"
        )
    rng = np.random.default_rng(seed)
    tenants = []
    for n in range(1, count + 1):
        workspace = workspace_create(slug=f"{prefix}-{n:03d}", name=f"Benchmark tenant {n}")
        client, key = client_create(workspace_id=workspace.pk, name=f"{workspace.slug} app")
        items, events = tenant_data(rng, titles, events=int(rng.integers(min_events, max_events + 1)))
        upserted = items_upsert(client=client, rows=items)
        sent = events_ingest(client=client, rows=events)
        if upserted.errors or sent.errors:
            raise RuntimeError(f"{workspace.slug}: rows refused: {(upserted.errors + sent.errors)[:3]}")
        people = sorted({row["user"] for row in events}, key=lambda p: int(p[1:]))
        tenants.append(Tenant(workspace.pk, workspace.slug, key, people, upserted.accepted, sent.accepted))
        progress(n)
    return tenants


def client_create(*, workspace_id: int, name: str, scopes=("read", "write")) -> tuple[ApiClient, str]:
    """An API client of the workspace that no throttle slows down, and its key."""
    client = ApiClient(workspace_id=workspace_id, name=name, scopes=list(scopes), throttle_rate="10000000/s")
    key = client.set_new_key()
    client.save()
    return client, key


def website_client_create(*, name: str) -> tuple[ApiClient, str]:
    return client_create(workspace_id=default_workspace_id(), name=name)


def people_seed(*, client: ApiClient, count: int, per_person: int = 30, seed: int = 42) -> list[str]:
    """`count` people of the client's workspace, each rating `per_person` of its 200 most rated items;
    returns their ids (the client's own)."""
    items = Item.objects.of(client.workspace_id).active().order_by("-rating_count", "pk")
    popular = list(items.values_list("pk", flat=True)[:200])
    rng = random.Random(seed)
    rows = [
        {"user": f"bench-{u}", "item": pk, "kind": "rating", "value": rng.choice([3.0, 3.5, 4.0, 4.5, 5.0])}
        for u in range(count)
        for pk in rng.sample(popular, min(per_person, len(popular)))
    ]
    for start in range(0, len(rows), 10_000):
        events_ingest(client=client, rows=rows[start : start + 10_000])
    return [f"bench-{u}" for u in range(count)]


def client_delete(client: ApiClient) -> None:
    """Delete an API client with the people it brought (deleting a client alone leaves them to its workspace)."""
    people_forget(user_ids=list(ClientUser.objects.filter(client=client).values_list("user_id", flat=True)))
    client.delete()


def tenants_delete(prefix: str) -> int:
    """Delete the workspaces named `prefix`-… with everything they hold, their model artifacts included."""
    workspaces = list(Workspace.objects.filter(slug__startswith=f"{prefix}-"))
    for workspace in workspaces:
        versions = ModelVersion.objects.filter(workspace=workspace).exclude(artifact="")
        for name in versions.values_list("artifact", flat=True):
            default_storage.delete(name)
        workspace.delete()  # its people first (accounts' pre_delete signal), then everything else by cascade
        with contextlib.suppress(NotImplementedError, OSError):
            os.rmdir(default_storage.path(f"models/{workspace.slug}"))  # its artifacts' folder, now empty
    return len(workspaces)


def run_prefix() -> str:
    """A slug prefix no earlier run used, so a run deletes only what it made."""
    return f"bench-{secrets.token_hex(3)}"


def leftovers() -> int:
    """Workspaces that interrupted runs of this benchmark left (a killed process cleans nothing up)."""
    return sum(1 for slug in Workspace.objects.filter(slug__startswith="bench-").values_list("slug", flat=True)
               if RUN_PREFIX.match(slug))  # fmt: skip


def leftovers_delete() -> int:
    """Delete what interrupted runs left: their workspaces and their load-test clients of the website."""
    prefixes = {slug.rsplit("-", 1)[0] for slug in Workspace.objects.values_list("slug", flat=True)
                if RUN_PREFIX.match(slug)}  # fmt: skip
    deleted = sum(tenants_delete(prefix) for prefix in prefixes)
    for client in ApiClient.objects.filter(workspace_id=default_workspace_id(), name__startswith="bench-"):
        if RUN_PREFIX.match(client.name):
            client_delete(client)
            deleted += 1
    return deleted
