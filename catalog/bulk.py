"""Fast bulk writes shared by the importer and the API's batch ingestion.

PostgreSQL gets COPY (several times faster than INSERT for large batches);
other databases get executemany through Django's connection.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connection


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert plain tuples into `table`; returns the number of rows written.

    Callers pass rows already validated and free of conflicts: this is the
    raw fast path, it does not skip duplicates.
    """
    rows = list(rows)
    if not rows:
        return 0
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    table_sql = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table_sql} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            rows = [tuple(_adapt(value) for value in row) for row in rows]
            placeholders = ", ".join(["%s"] * len(columns))
            # Table and column names come from model metadata, never from input.
            cursor.executemany(f"INSERT INTO {table_sql} ({quoted}) VALUES ({placeholders})", rows)  # noqa: S608
    return len(rows)


def _adapt(value):
    # Raw executemany bypasses the ORM, so datetimes get the backend's format here.
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value
