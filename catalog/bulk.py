"""Fast bulk writes shared by the importer and the API's batch ingestion.

PostgreSQL gets COPY (several times faster than INSERT for large batches);
other databases get executemany through Django's connection.

On PostgreSQL a foreign key is checked by a trigger once per inserted row, at
commit; for a batch of ratings that costs more than the COPY itself. Where the
database role may set `session_replication_role` (a superuser, or a role
granted `SET` on it, PostgreSQL 15+), the batch checks its foreign keys itself
instead, once per distinct key: it locks the referenced rows `FOR KEY SHARE`
(as the per-row triggers would, so they cannot be deleted before the batch
commits), verifies that every key exists, and copies with triggers off for
that one statement. Other roles keep the per-row triggers.
"""

import weakref
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import IntegrityError, connection, models, transaction

_TRIGGER_BYPASS: "weakref.WeakKeyDictionary[object, bool]" = weakref.WeakKeyDictionary()


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert plain tuples into `model`'s table; returns the number of rows written.

    `columns` are column names (`user_id` for a foreign key). Callers pass rows
    already validated and free of conflicts: this is the raw fast path, it does
    not skip duplicates. A foreign key that does not exist raises IntegrityError
    and writes nothing.
    """
    rows = list(rows)
    if not rows:
        return 0
    table_sql = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    if connection.vendor != "postgresql":
        rows = [tuple(_adapt(value) for value in row) for row in rows]
        placeholders = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            # Table and column names come from model metadata, never from input.
            cursor.executemany(f"INSERT INTO {table_sql} ({quoted}) VALUES ({placeholders})", rows)  # noqa: S608
        return len(rows)

    with transaction.atomic(), connection.cursor() as cursor:
        keys = _foreign_keys(model, columns)
        bypass = bool(keys) and _may_bypass_triggers(cursor)
        if bypass:
            for position, field in keys:
                _lock_referenced(cursor, field, {row[position] for row in rows})
            cursor.execute("SET LOCAL session_replication_role = replica")
        with cursor.cursor.copy(f"COPY {table_sql} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if bypass:
            # A failed COPY needs no reset: rolling back the atomic block undoes the SET LOCAL too.
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    return len(rows)


def _foreign_keys(model, columns) -> list[tuple[int, models.ForeignKey]]:
    fields = {
        field.column: field
        for field in model._meta.concrete_fields
        if field.is_relation and field.many_to_one and field.db_constraint
    }
    return [(position, fields[column]) for position, column in enumerate(columns) if column in fields]


def _may_bypass_triggers(cursor) -> bool:
    raw = connection.connection
    if raw not in _TRIGGER_BYPASS:
        if connection.pg_version >= 150000:
            cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        else:
            cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        _TRIGGER_BYPASS[raw] = bool(cursor.fetchone()[0])
    return _TRIGGER_BYPASS[raw]


def _lock_referenced(cursor, field: models.ForeignKey, keys: set) -> None:
    """Lock the rows `keys` point to as a foreign-key trigger would; IntegrityError names any that do not exist."""
    target = field.target_field
    table = connection.ops.quote_name(target.model._meta.db_table)
    column = connection.ops.quote_name(target.column)
    ordered = sorted(key for key in keys if key is not None)
    # Sorted, so two batches locking overlapping keys take them in the same order.
    cursor.execute(
        f"SELECT {column} FROM {table} WHERE {column} = ANY(%s) ORDER BY {column} FOR KEY SHARE",  # noqa: S608
        [ordered],
    )
    missing = set(ordered) - {key for (key,) in cursor.fetchall()}
    if missing:
        shown = ", ".join(str(key) for key in sorted(missing)[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise IntegrityError(
            f"{field.model._meta.db_table}.{field.column} refers to missing {target.model._meta.db_table} rows: "
            f"{shown}{more}"
        )


def _adapt(value):
    # Raw executemany bypasses the ORM, so datetimes get the backend's format here.
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value
