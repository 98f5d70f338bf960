"""Fast bulk writes shared by the bulk services (imports and the API's batch ingestion).

PostgreSQL gets COPY (several times faster than INSERT for large batches);
other databases get executemany through Django's connection. Either way the
database checks every row against its constraints and fires every trigger:
nothing here switches a check off.

On PostgreSQL, Django declares foreign keys DEFERRABLE INITIALLY DEFERRED, so
their per-row checks would wait for commit. A batch runs them before it
returns instead: a missing row raises IntegrityError at the call that caused
it, and the rows the batch refers to stay locked FOR KEY SHARE (the lock each
check takes) until commit, so a concurrent deletion of one of them waits for
the batch instead of racing it. SQLite checks its foreign keys at commit.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connection, models, transaction


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert plain tuples into `model`'s table; returns the number of rows written.

    `columns` are column names (`user_id` for a foreign key). For rows known to
    be new: one that breaks a unique constraint or names a missing foreign key
    raises IntegrityError, and nothing of the batch is written.
    """
    rows = list(rows)
    if not rows:
        return 0
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy(cursor, table, quoted, rows)
            _check_deferred_foreign_keys(cursor, table)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            # Table and column names come from model metadata, never from input.
            cursor.executemany(
                f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})",  # noqa: S608
                [tuple(adapt_value(value) for value in row) for row in rows],
            )
    return len(rows)


def _copy(cursor, table: str, quoted: str, rows: list[Sequence]) -> None:
    # psycopg's COPY is reached past Django's cursor, so its errors are wrapped here: callers catch
    # django.db.IntegrityError, as for any other statement.
    with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _check_deferred_foreign_keys(cursor, table: str) -> None:
    """Run now the checks of `table`'s deferred foreign keys that would otherwise run at commit.

    SET CONSTRAINTS … IMMEDIATE fires the pending checks (PostgreSQL's own
    triggers); setting them back to DEFERRED restores the transaction's
    behaviour for any later write. A rolled-back savepoint restores it too.
    """
    cursor.execute(
        "SELECT string_agg(format('%%I.%%I', n.nspname, c.conname), ', ') FROM pg_constraint c"
        " JOIN pg_namespace n ON n.oid = c.connamespace"
        " WHERE c.conrelid = %s::regclass AND c.contype = 'f' AND c.condeferred",
        [table],
    )
    names = cursor.fetchone()[0]
    if names:
        cursor.execute(f"SET CONSTRAINTS {names} IMMEDIATE")
        cursor.execute(f"SET CONSTRAINTS {names} DEFERRED")


def adapt_value(value):
    """A value for a raw statement: those bypass the ORM, so datetimes get the backend's format here."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value
