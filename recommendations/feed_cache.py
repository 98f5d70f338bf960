"""One validated cache for every served feed: the website's home rows and the API's recommendations.

Scoring a history against the model and explaining or serializing the result
costs far more than the request around it. A cached feed is used only while it
is provably current, by the same rules wherever it is served:

- the model version serving the feed's workspace now is the one it was made with
  (the workspace and the version are part of the key);
- the fingerprint of the person's history (count, sum and newest change of
  their ratings; count and newest id of their events) is unchanged, so a rating,
  an un-rating or an event posted a moment ago changes the very next feed;
- none of the items it lists was hidden or edited since it was made;
- the workspace's merchandising rules are those it was made with (their stamp, see
  recommendations.rules, is part of the key): a rule created, changed or deleted
  makes the next feed a new one.

One indexed query reads all of that, together with the person lookup itself
(a partner's id for its user) when there is one. The TTL only bounds how long
answers follow other people's activity (popularity, trending).

The SQL is written once from model metadata and runs on Django's cursor: on this
hot path the ORM's query compilation would cost more than the database work.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache as memoize
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Model
from django.utils import timezone

from catalog.models import Interaction, Item, Rating
from recommendations.rules import rule_sets
from recommendations.serving import active_models

TTL_SECONDS = 120


@dataclass(frozen=True)
class Person:
    """Whose feed: a user id (None: an anonymous visitor), or the row of an identity table naming a user.

    identity: a model with a `user_id` column, matched on `match` (column, value) pairs: the API's
    partner ids (client_id, external_id) are resolved in the same query as the freshness check.
    """

    user_id: int | None = None
    identity: type[Model] | None = None
    match: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Freshness:
    user_id: int | None
    fingerprint: tuple
    items_changed: bool


def feed_cached(*, person: Person, workspace: int, scope: str, params: dict, build: Callable) -> Any | None:
    """The feed for `person` from the workspace's items, from the cache while provably current, else
    `build(user_id=, version=)` (version: the workspace's serving version, None without one).

    build returns (value, item_ids): what to serve and cache, and the items it lists. The answer is
    None when the person does not exist (an unknown partner id).
    """
    loaded = active_models.get(workspace)
    version = loaded.version_id if loaded else None
    stamp = rule_sets.get(workspace).stamp
    key = _key(scope=scope, person=person, workspace=workspace, version=version, params={**params, "rules": stamp})
    entry = cache.get(key)
    fresh = freshness_check(person=person, entry=entry)
    if fresh is None:
        return None
    if entry is not None and entry["fingerprint"] == fresh.fingerprint and not fresh.items_changed:
        return entry["value"]
    started = timezone.now()  # an item edited while the feed is built counts as edited after it
    value, item_ids = build(user_id=fresh.user_id, version=version)
    entry = {"fingerprint": fresh.fingerprint, "value": value, "item_ids": list(item_ids), "at": started}
    cache.set(key, entry, TTL_SECONDS)
    return value


def _key(*, scope: str, person: Person, workspace: int, version: int | None, params: dict) -> str:
    wanted = repr((person.user_id, person.match, sorted((k, str(v)) for k, v in params.items())))
    digest = hashlib.sha256(wanted.encode()).hexdigest()[:24]
    return f"feed:{scope}:w{workspace}:v{version}:{digest}"


def freshness_check(*, person: Person, entry: dict | None) -> Freshness | None:
    """The person's user id and history fingerprint, and whether an item of `entry` changed: one query.

    None when the person's identity row does not exist. An anonymous visitor without a cached
    entry needs no query at all.
    """
    changed, changed_params = _changed_column(entry)
    if person.identity is not None:
        where = " AND ".join(f"p.{connection.ops.quote_name(column)} = %s" for column, _ in person.match)
        sql = (f"SELECT p.user_id, {_fingerprint_columns('p.user_id')}, {changed} "  # noqa: S608 - model metadata
               f"FROM {_table(person.identity)} p WHERE {where}")  # fmt: skip
        row = _fetchone(sql, [*changed_params, *(value for _, value in person.match)])
        return None if row is None else Freshness(row[0], tuple(row[1:3]), row[3] is not None)
    if person.user_id is not None:
        sql = f"SELECT {_fingerprint_columns('%s')}, {changed}"
        row = _fetchone(sql, [person.user_id, person.user_id, *changed_params])
        return Freshness(person.user_id, tuple(row[:2]), row[2] is not None)
    if entry is None:
        return Freshness(None, (), False)
    row = _fetchone(f"SELECT {changed}", changed_params)
    return Freshness(None, (), row[0] is not None)


def _fetchone(sql: str, params: list):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@memoize
def _fingerprint_columns(user_column: str) -> str:
    """Two columns: the user's ratings and events summarised as text.

    Each table gets ONE aggregate subquery on purpose: a lone MAX() lets the
    planner walk a global index backwards looking for this user's newest row,
    which is slow for a user with little or old history.
    """

    def text(expression):
        return f"COALESCE(CAST({expression} AS TEXT), '')"

    ratings = " || ':' || ".join(text(e) for e in ("COUNT(*)", "SUM(h.value)", "MAX(h.updated_at)"))
    events = " || ':' || ".join(text(e) for e in ("COUNT(*)", "MAX(h.id)"))
    return ", ".join(
        f"(SELECT {summary} FROM {table} h WHERE h.user_id = {user_column})"  # noqa: S608 - model metadata
        for table, summary in ((_table(Rating), ratings), (_table(Interaction), events))
    )


def _changed_column(entry: dict | None) -> tuple[str, list]:
    """The column saying whether an item of the cached `entry` was hidden or edited since, and its parameters."""
    item_ids = entry["item_ids"] if entry else []
    if not item_ids:
        return "NULL", []
    column = (f"(SELECT 1 FROM {_table(Item)} i WHERE i.id IN ({', '.join(['%s'] * len(item_ids))}) "  # noqa: S608
              "AND (i.is_active = %s OR i.updated_at > %s) LIMIT 1)")  # fmt: skip
    at: datetime = entry["at"]
    return column, [*item_ids, False, connection.ops.adapt_datetimefield_value(at)]
