"""Set-based SQL shared by the bulk write services: plain tuples in, no ORM object per row."""

import json
from collections.abc import Iterable, Sequence

from django.db import connection, models

from catalog.bulk import adapt_value


def _chunk_size(width: int) -> int:
    # SQLite caps the parameters of one statement; PostgreSQL takes large statements happily.
    limit = connection.features.max_query_params or 20_000
    return max(1, min(2_000, limit // width))


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def present_locked(model: type[models.Model], ids: Iterable[int]) -> set[int]:
    """Which of `ids` exist, locked FOR KEY SHARE until commit on PostgreSQL.

    That is the lock a foreign-key check takes, taken up front: a concurrent
    deletion of one of these rows (which locks it FOR UPDATE) waits for this
    transaction, and a row deleted before it is simply not returned, so its
    writes can be refused row by row instead of failing the commit.
    """
    ordered = sorted(set(ids))
    pk = connection.ops.quote_name(model._meta.pk.column)
    # Names come from model metadata, values are parameters.
    select = f"SELECT {pk} FROM {_table(model)} WHERE {pk}"  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # In key order, so two batches sharing people take their locks in the same order.
            cursor.execute(f"{select} = ANY(%s) ORDER BY 1 FOR KEY SHARE", [ordered])
            return {key for (key,) in cursor.fetchall()}
        found: set[int] = set()
        step = _chunk_size(1)
        for start in range(0, len(ordered), step):
            part = ordered[start : start + step]
            cursor.execute(f"{select} IN ({', '.join(['%s'] * len(part))})", part)
            found.update(key for (key,) in cursor.fetchall())
        return found


def pairs_lookup(
    model: type[models.Model], keys: tuple[str, str], value: str, pairs: Iterable[tuple], *, condition: str = "TRUE"
) -> dict[tuple, object]:
    """`{(a, b): value}` for the stored rows whose `keys` columns match one of `pairs`.

    `condition` filters the rows further (the table is aliased `t`). Pair
    lookups use the two-column unique index: `a IN (...) AND b IN (...)` would
    match every combination and, for people with long histories, scan them all.
    """
    pairs = list(set(pairs))
    first, second, column = (connection.ops.quote_name(name) for name in (*keys, value))
    # Names come from model metadata and callers' constants; values are parameters.
    select = f"SELECT t.{first}, t.{second}, t.{column} FROM {_table(model)} AS t "  # noqa: S608
    # One statement whatever the number of pairs, joined to the table so that the database probes
    # the unique index once per pair (a long `IN (VALUES …)` list is planned as a scan of the table).
    if connection.vendor == "postgresql":
        types = [model._meta.get_field(key).db_type(connection) for key in keys]
        sql = (
            f"{select}JOIN unnest(%s::{types[0]}[], %s::{types[1]}[]) AS p(a, b) "
            f"ON t.{first} = p.a AND t.{second} = p.b WHERE {condition}"
        )
        params = [[a for a, _ in pairs], [b for _, b in pairs]]
    else:
        sql = (
            f"{select}JOIN json_each(%s) AS p ON t.{first} = json_extract(p.value, '$[0]') "
            f"AND t.{second} = json_extract(p.value, '$[1]') WHERE {condition}"
        )
        params = [json.dumps(pairs)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(a, b): v for a, b, v in cursor.fetchall()}


def upsert_rows(
    model: type[models.Model], columns: Sequence[str], rows: list[Sequence], *, unique: Sequence[str],
    update: Sequence[str], changed_if: Sequence[str],
) -> None:  # fmt: skip
    """INSERT … ON CONFLICT (`unique`) DO UPDATE `update` WHERE one of the `changed_if` columns differs.

    One statement per chunk on both PostgreSQL and SQLite; a concurrent writer
    of the same key is waited for, then updated, never a unique violation.
    """
    table = _table(model)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    conflict = ", ".join(connection.ops.quote_name(c) for c in unique)
    sets = ", ".join(f"{connection.ops.quote_name(c)} = excluded.{connection.ops.quote_name(c)}" for c in update)
    changed = " OR ".join(
        f"{table}.{name} <> excluded.{name}" for name in (connection.ops.quote_name(c) for c in changed_if)
    )
    step = _chunk_size(len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), step):
            part = rows[start : start + step]
            marks = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(part))
            cursor.execute(
                f"INSERT INTO {table} ({quoted}) VALUES {marks} ON CONFLICT ({conflict}) "  # noqa: S608
                f"DO UPDATE SET {sets} WHERE {changed}",
                [adapt_value(value) for row in part for value in row],
            )
