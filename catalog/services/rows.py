"""Set-based SQL shared by the bulk write services: plain tuples in, no ORM object per row."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connection, models


def _chunk_size(width: int) -> int:
    # SQLite caps the parameters of one statement; PostgreSQL takes large statements happily.
    limit = connection.features.max_query_params or 20_000
    return max(1, min(2_000, limit // width))


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _adapt(value):
    # Raw statements bypass the ORM, so datetimes get the backend's format here.
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def present_locked(model: type[models.Model], ids: Iterable[int]) -> set[int]:
    """Which of `ids` exist, locked FOR KEY SHARE until commit on PostgreSQL.

    That is the lock a foreign-key check takes, taken up front: a concurrent
    deletion of one of these rows (which locks it FOR UPDATE) waits for this
    transaction, and a row deleted before it is simply not returned, so its
    writes can be refused row by row instead of failing the commit.
    """
    ordered = sorted(set(ids))
    found: set[int] = set()
    pk = connection.ops.quote_name(model._meta.pk.column)
    lock = " ORDER BY 1 FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    step = _chunk_size(1)
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), step):
            part = ordered[start : start + step]
            marks = ", ".join(["%s"] * len(part))
            # Names come from model metadata, values are parameters.
            cursor.execute(f"SELECT {pk} FROM {_table(model)} WHERE {pk} IN ({marks}){lock}", part)  # noqa: S608
            found.update(key for (key,) in cursor.fetchall())
    return found


def pairs_lookup(
    model: type[models.Model], keys: tuple[str, str], value: str, pairs: Iterable[tuple], *, where: str = ""
) -> dict[tuple, object]:
    """`{(a, b): value}` for the stored rows whose `keys` columns match one of `pairs`.

    Row-value lookups on a two-column unique index: `a IN (...) AND b IN (...)`
    would match every combination and, for people with long histories, scan them all.
    """
    pairs = list(set(pairs))
    first, second = (connection.ops.quote_name(key) for key in keys)
    column = connection.ops.quote_name(value)
    found: dict[tuple, object] = {}
    step = _chunk_size(2)
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), step):
            part = pairs[start : start + step]
            values = ", ".join(["(%s, %s)"] * len(part))
            cursor.execute(
                f"SELECT {first}, {second}, {column} FROM {_table(model)} "  # noqa: S608
                f"WHERE {where}({first}, {second}) IN (VALUES {values})",
                [item for pair in part for item in pair],
            )
            found.update(((a, b), v) for a, b, v in cursor.fetchall())
    return found


def upsert_rows(
    model: type[models.Model], columns: Sequence[str], rows: list[Sequence], *, unique: Sequence[str],
    update: Sequence[str], changed_if: str,
) -> None:  # fmt: skip
    """INSERT … ON CONFLICT (`unique`) DO UPDATE `update` WHERE the `changed_if` column differs.

    One statement per chunk on both PostgreSQL and SQLite; a concurrent writer
    of the same key is waited for, then updated, never a unique violation.
    """
    table = _table(model)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    conflict = ", ".join(connection.ops.quote_name(c) for c in unique)
    sets = ", ".join(f"{connection.ops.quote_name(c)} = excluded.{connection.ops.quote_name(c)}" for c in update)
    changed = connection.ops.quote_name(changed_if)
    step = _chunk_size(len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), step):
            part = rows[start : start + step]
            marks = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(part))
            cursor.execute(
                f"INSERT INTO {table} ({quoted}) VALUES {marks} ON CONFLICT ({conflict}) "  # noqa: S608
                f"DO UPDATE SET {sets} WHERE {table}.{changed} <> excluded.{changed}",
                [_adapt(value) for row in part for value in row],
            )
