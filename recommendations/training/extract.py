"""Bulk extraction: one workspace's ratings and events -> one user x item confidence matrix.

No model instances: PostgreSQL streams rows with a binary COPY that numpy reads
in place (fixed-width rows, so no parsing per row); other databases go through
a plain cursor. This module owns the mapping between database ids and matrix
indices: a version's artifact stores the ids of its rows and columns. Only the
workspace's items become columns, and only ratings and events on them are read,
so a model never holds another workspace's items or people.
"""

import contextlib
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from django.db import connection, transaction

from catalog.models import Interaction, Item, ItemTag, Rating
from core.workspaces import default_workspace_id
from recommendations.engine.weighting import EVENT_WEIGHTS, event_weights, rating_weights

# Event kinds travel as small integer codes, so every extracted column is fixed-width.
KIND_CODES = list(EVENT_WEIGHTS)
PG_COPY_HEADER = 19  # signature (11) + flags (4) + header extension length (4)


@dataclass
class TrainingData:
    """A user x item confidence matrix and the ids of its rows and columns."""

    matrix: sp.csr_matrix  # (n_users, n_items) float32, canonical (sorted, no duplicates)
    timestamps: np.ndarray  # (nnz,) float64 unix seconds of the latest event of each stored entry
    user_ids: np.ndarray  # (n_users,) int64 primary keys, sorted
    item_ids: np.ndarray  # (n_items,) int64 primary keys, sorted
    item_texts: list[str]
    n_events: int  # ratings and events that made it into the matrix
    watermark: dict = field(default_factory=dict)  # what the snapshot contained, for the record


def _epoch_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})"
    return f"CAST(strftime('%s', {column}) AS REAL)"


def _pg_binary_copy(columns: list[str], table: str, casts: list[str], dtypes: list[str]) -> list[np.ndarray]:
    """COPY (SELECT columns FROM table) TO STDOUT (FORMAT BINARY), one array per column.

    table: a table name or a join (the FROM clause), written from model metadata.

    Every column is cast to a fixed-width type and is never NULL, so each row has
    the same layout (int16 field count, then int32 length + big-endian value per
    field) and the whole stream reads as one numpy structured array, no per-row work.
    """
    select = ", ".join(f"({c})::{t}" for c, t in zip(columns, casts, strict=True))
    fields = [("n", ">i2")]
    for i, dt in enumerate(dtypes):
        fields += [(f"len{i}", ">i4"), (f"f{i}", ">" + dt)]
    row = np.dtype(fields)
    buffer = bytearray()
    # Table and column names come from model metadata, never from input.
    sql = f"COPY (SELECT {select} FROM {table}) TO STDOUT (FORMAT BINARY)"  # noqa: S608
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for block in copy:
            buffer += block
    n = max((len(buffer) - PG_COPY_HEADER - 2) // row.itemsize, 0)
    records = np.frombuffer(buffer, dtype=row, count=n, offset=PG_COPY_HEADER) if n else np.zeros(0, dtype=row)
    return [records[f"f{i}"].astype(dt) for i, dt in enumerate(dtypes)]


def _cursor_fetch(columns: list[str], table: str, dtypes: list[str]) -> list[np.ndarray]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table}")  # noqa: S608 - names from model metadata
        rows = cursor.fetchall()
    if not rows:
        return [np.zeros(0, dtype=dt) for dt in dtypes]
    return [np.array(col, dtype=dt) for col, dt in zip(zip(*rows, strict=True), dtypes, strict=True)]


def _fetch(columns: list[str], table: str, casts: list[str], dtypes: list[str]) -> list[np.ndarray]:
    if connection.vendor == "postgresql":
        return _pg_binary_copy(columns, table, casts, dtypes)
    return _cursor_fetch(columns, table, dtypes)


def _of_workspace(model, workspace_id: int) -> str:
    """`model`'s table as `t`, joined to the items of one workspace (a FROM clause for `_fetch`)."""
    table, items = (connection.ops.quote_name(m._meta.db_table) for m in (model, Item))
    # The id is an int from the database, never input: COPY cannot take bound parameters.
    return f"{table} t JOIN {items} i ON i.id = t.item_id WHERE i.workspace_id = {int(workspace_id)}"


def read_ratings(*, workspace_id: int) -> tuple[np.ndarray, ...]:
    """The workspace's ratings: (user ids int64, item ids int64, stars float64, unix seconds float64)."""
    columns = ["t.user_id", "t.item_id", "t.value", _epoch_sql("t.updated_at")]
    casts, dtypes = ["int8", "int8", "float8", "float8"], ["i8", "i8", "f8", "f8"]
    return tuple(_fetch(columns, _of_workspace(Rating, workspace_id), casts, dtypes))


def read_events(*, workspace_id: int) -> tuple[np.ndarray, ...]:
    """The workspace's events: (user ids int64, item ids int64, kind codes int16, values float64 (NaN = none),
    unix seconds float64)."""
    cases = " ".join(f"WHEN '{kind}' THEN {code}" for code, kind in enumerate(KIND_CODES))
    nan = "'NaN'::float8" if connection.vendor == "postgresql" else "NULL"
    # Unknown kinds (none today) get -1 and are dropped; a missing value becomes NaN so rows stay fixed-width.
    columns = [
        "t.user_id",
        "t.item_id",
        f"CASE t.kind {cases} ELSE -1 END",
        f"COALESCE(t.value, {nan})",
        _epoch_sql("t.created_at"),
    ]
    casts, dtypes = ["int8", "int8", "int2", "float8", "float8"], ["i8", "i8", "i2", "f8", "f8"]
    return tuple(_fetch(columns, _of_workspace(Interaction, workspace_id), casts, dtypes))


def canonical_matrix(users, items, weights, stamps, n_users: int, n_items: int):
    """Sum duplicate (user, item) weights, keep the latest time of each; CSR order.

    Returns (matrix (n_users, n_items) float32 CSR, timestamps (nnz,) float64).
    An entry summing to zero stays stored, so the item still counts as seen.
    """
    key = users.astype(np.int64) * n_items + items
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.empty(len(key), dtype=bool)
    if len(key):
        first[0] = True
        np.not_equal(key[1:], key[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    data = np.add.reduceat(weights[order].astype(np.float64), starts) if len(starts) else np.zeros(0)
    latest = np.maximum.reduceat(stamps[order], starts) if len(starts) else np.zeros(0)
    unique = key[starts]
    rows, cols = unique // n_items, unique % n_items
    indptr = np.zeros(n_users + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_users), out=indptr[1:])
    index_dtype = np.int32 if max(len(unique), n_items) < 2**31 else np.int64
    matrix = sp.csr_matrix(
        (data.astype(np.float32), cols.astype(index_dtype), indptr.astype(index_dtype)), shape=(n_users, n_items)
    )
    return matrix, latest.astype(np.float64)


def training_data_extract(*, workspace_id: int | None = None) -> TrainingData:
    """Read every rating and event of the workspace's active items in bulk (one snapshot on PostgreSQL).

    workspace_id: None for the website's workspace (`default`).
    """
    workspace_id = workspace_id or default_workspace_id()
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    # On SQLite a transaction would take the write lock (IMMEDIATE mode) and hold up every
    # rating while we read; there each read is its own snapshot instead.
    with transaction.atomic() if snapshot else contextlib.nullcontext():
        if snapshot:
            # Ratings and events from the same instant: a write landing between the two reads
            # is either in both or in neither, and in the next version for sure.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        items = Item.objects.active().of(workspace_id).order_by("pk")
        item_ids = np.fromiter(items.values_list("pk", flat=True), dtype=np.int64)
        r_users, r_items, stars, r_time = read_ratings(workspace_id=workspace_id)
        e_users, e_items, codes, values, e_time = read_events(workspace_id=workspace_id)
        events = Interaction.objects.filter(item__workspace_id=workspace_id)
        watermark = {
            "ratings": len(r_users),
            "events": len(e_users),
            "last_event_id": events.order_by("-pk").values_list("pk", flat=True).first() or 0,
        }
    known_kind = codes >= 0
    kinds = np.array(KIND_CODES, dtype=object)[codes[known_kind]]
    users = np.concatenate([r_users, e_users[known_kind]])
    items = np.concatenate([r_items, e_items[known_kind]])
    stamps = np.concatenate([r_time, e_time[known_kind]])
    weights = np.concatenate([rating_weights(stars), event_weights(kinds, values[known_kind])])
    del r_users, r_items, stars, e_users, e_items, codes, values

    # Hidden items are left out of the columns; their events are dropped.
    col = np.searchsorted(item_ids, items)
    known = (
        (col < len(item_ids)) & (item_ids[np.minimum(col, max(len(item_ids) - 1, 0))] == items)
        if len(item_ids)
        else np.zeros(len(items), bool)
    )
    user_ids, row = np.unique(users[known], return_inverse=True)
    matrix, timestamps = canonical_matrix(row, col[known], weights[known], stamps[known], len(user_ids), len(item_ids))
    texts = item_texts_for(item_ids, workspace_id=workspace_id)
    return TrainingData(matrix, timestamps, user_ids.astype(np.int64), item_ids, texts, int(known.sum()), watermark)


def item_texts_for(item_ids: np.ndarray, *, workspace_id: int) -> list[str]:
    """One document per item of the workspace (title, genres, tags, description) for the content model.

    Genres and tags in name order, so the same catalog gives the same documents in any database.
    """
    position = {pk: i for i, pk in enumerate(item_ids.tolist())}
    parts: list[list[str]] = [[] for _ in position]
    items = Item.objects.filter(workspace_id=workspace_id, is_active=True)
    for pk, title, description in items.values_list("pk", "title", "description"):
        if pk in position:
            parts[position[pk]].extend([title, description])
    genres = Item.genres.through.objects.filter(item__workspace_id=workspace_id).order_by("genre__name")
    for pk, genre in genres.values_list("item_id", "genre__name"):
        if pk in position:
            parts[position[pk]].append(genre)
    tags = ItemTag.objects.filter(item__workspace_id=workspace_id).order_by("tag__name")
    for pk, tag in tags.values_list("item_id", "tag__name"):
        if pk in position:
            parts[position[pk]].append(tag)
    return [" ".join(p for p in doc if p) for doc in parts]
