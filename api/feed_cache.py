"""A validated cache of served recommendations.

Scoring a history against the model and serializing twenty items costs far
more than the request around it. A cached answer is used only while it is
provably current: the fingerprint of the user's history (counts, sums and
newest changes of their ratings and events) must match, the active model
version must match, and none of the listed items may have been hidden or
edited since. One indexed query reads all of that, together with the user
lookup itself, so an event posted a moment ago, a hidden item or a new model
still changes the very next response. The TTL only bounds how long
popularity-based answers follow other people's activity.

The SQL is built once from model metadata: on this hot path the ORM's query
compilation would cost more than the database work.
"""

import hashlib
from dataclasses import dataclass
from functools import cache as memoize

import psycopg
from django.core.cache import cache
from django.db import connection

from api.models import ClientUser
from catalog.models import Interaction, Item, Rating

TTL_SECONDS = 120


@dataclass
class Lookup:
    user_id: int
    fingerprint: tuple
    items_changed: bool


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
    """The column saying whether any item of the cached `entry` was hidden or edited since, and its parameters."""
    item_ids = entry["item_ids"] if entry else []
    if not item_ids:
        return "NULL", []
    if connection.vendor == "postgresql":
        # One array parameter: the statement is the same for any number of items, so it is prepared once.
        ids, params = "= ANY(%s)", [list(item_ids)]
    else:
        ids, params = f"IN ({', '.join(['%s'] * len(item_ids))})", list(item_ids)
    column = (f"(SELECT 1 FROM {_table(Item)} i WHERE i.id {ids} "  # noqa: S608 - values are parameters
              "AND (i.is_active = %s OR i.updated_at > %s) LIMIT 1)")  # fmt: skip
    return column, [*params, False, connection.ops.adapt_datetimefield_value(entry["at"])]


def lookup(*, client_id: int | None, user: str | int, entry: dict | None) -> Lookup | None:
    """The user (a client's external id, or a website user's id when client_id is None), their
    history fingerprint and whether any item of the cached `entry` changed: one query."""
    changed, changed_params = _changed_column(entry)
    if client_id is not None:
        sql = (f"SELECT cu.user_id, {_fingerprint_columns('cu.user_id')}, {changed} "  # noqa: S608
               f"FROM {_table(ClientUser)} cu WHERE cu.client_id = %s AND cu.external_id = %s")  # fmt: skip
        params = [*changed_params, client_id, user]
    else:
        sql = f"SELECT %s, {_fingerprint_columns('%s')}, {changed}"
        params = [user, user, user, *changed_params]
    row = _fetchone(sql, params)
    if row is None:
        return None
    return Lookup(row[0], tuple(row[1:3]), row[3] is not None)


def _fetchone(sql: str, params: list):
    with connection.cursor() as cursor:  # connects and checks the connection as any query would
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return cursor.fetchone()
        # Django binds parameters on the client, so PostgreSQL plans every query anew; planning this
        # one costs more than running it. A server-side bound statement is prepared once per
        # connection (PgBouncer in transaction mode needs max_prepared_statements for this).
        with psycopg.Cursor(cursor.cursor.connection) as prepared:
            prepared.execute(sql, params, prepare=True)
            return prepared.fetchone()


def cache_key(*, scope: str, user: str | int, model_version, params: dict) -> str:
    wanted = repr((str(user), sorted((k, str(v)) for k, v in params.items())))
    digest = hashlib.sha256(wanted.encode()).hexdigest()[:24]
    return f"api:feed:{scope}:{model_version}:{digest}"


def cache_entry(key: str) -> dict | None:
    return cache.get(key)


def is_current(entry: dict | None, found: Lookup) -> bool:
    return entry is not None and entry["fingerprint"] == found.fingerprint and not found.items_changed


def store(key: str, *, fingerprint: tuple, body: bytes, item_ids: list[int], started_at) -> None:
    """`started_at` is when computing began: an item edited meanwhile counts as edited after it."""
    cache.set(key, {"fingerprint": fingerprint, "body": body, "item_ids": item_ids, "at": started_at}, TTL_SECONDS)
