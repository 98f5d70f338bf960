"""Reading interaction and item files, with errors that name the file and line."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

ML100K_GENRES = (
    *("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama"),
    *("Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western"),
)


class DataError(ValueError):
    """A malformed input file; the message names the file and line."""


@dataclass
class Interactions:
    users: np.ndarray  # (n,) str raw user ids
    items: np.ndarray  # (n,) str raw item ids
    ratings: np.ndarray  # (n,) float64
    timestamps: np.ndarray  # (n,) float64 unix seconds (NaN when absent)


@dataclass
class Dataset:
    """A user x item matrix with the raw ids of its rows and columns."""

    matrix: sp.csr_matrix  # (n_users, n_items) float32
    user_ids: np.ndarray  # (n_users,) str
    item_ids: np.ndarray  # (n_items,) str
    item_texts: list[str] | None
    timestamps: np.ndarray | None  # (nnz,) float64 aligned with matrix.data


def number(value: str, column: str, where: str) -> float:
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise DataError(f"{where}: {column} must be a number, got {value!r}") from None
    if not np.isfinite(result):
        raise DataError(f"{where}: {column} must be a finite number, got {value!r}")
    return result


def read_csv(path: str, required: tuple[str, ...], delimiter: str = ",", encoding: str = "utf-8"):
    """Yield (line number, row dict) of a CSV file with a header holding `required` columns."""
    name = os.path.basename(path)
    try:
        handle = open(path, newline="", encoding=encoding)  # noqa: SIM115 - closed below
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None
    with handle:
        reader = csv.reader(handle, delimiter=delimiter)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in required if c not in header]
        if missing:
            raise DataError(f"{name} line 1: missing column(s) {', '.join(missing)} (header: {','.join(header)})")
        position = {c: header.index(c) for c in required}
        for row in reader:
            line = reader.line_num
            if not row or not any(cell.strip() for cell in row):
                continue
            if len(row) < len(header):
                raise DataError(f"{name} line {line}: expected {len(header)} fields, got {len(row)}")
            yield line, {c: row[i].strip() for c, i in position.items()}


def read_interactions(path: str, columns=("user", "item", "rating", "timestamp")) -> Interactions:
    """A user,item,rating,timestamp CSV (column names given by `columns`)."""
    user, item, rating, stamp = columns
    users, items, ratings, stamps = [], [], [], []
    name = os.path.basename(path)
    for line, row in read_csv(path, columns):
        where = f"{name} line {line}"
        if not row[user] or not row[item]:
            raise DataError(f"{where}: {user} and {item} must not be empty")
        users.append(row[user])
        items.append(row[item])
        ratings.append(number(row[rating], rating, where))
        stamps.append(number(row[stamp], stamp, where) if row[stamp] else np.nan)
    return Interactions(np.array(users, dtype=str), np.array(items, dtype=str), np.array(ratings), np.array(stamps))


def read_item_texts(path: str, columns=("item", "title", "genres")) -> dict[str, str]:
    """item id -> "title genre genre ..." from an item,title,genres CSV (genres |-separated)."""
    item, title, genres = columns
    return {row[item]: f"{row[title]} {row[genres].replace('|', ' ')}" for _, row in read_csv(path, columns)}


def add_tags(texts: dict[str, str], path: str) -> None:
    """Append MovieLens tags (tags.csv) to the item documents, when the file exists."""
    if os.path.exists(path):
        for _, row in read_csv(path, ("movieId", "tag")):
            if row["movieId"] in texts:
                texts[row["movieId"]] += f" {row['tag']}"


def to_dataset(data: Interactions, values: np.ndarray, texts: dict[str, str] | None) -> Dataset:
    """Index users and items (sorted raw ids) and build the matrix; duplicates keep the last value."""
    user_ids, rows = np.unique(data.users, return_inverse=True)
    item_ids, cols = np.unique(data.items, return_inverse=True)
    key = rows.astype(np.int64) * len(item_ids) + cols
    last = len(key) - 1 - np.unique(key[::-1], return_index=True)[1]
    last.sort()
    order = last[np.lexsort((cols[last], rows[last]))]
    matrix = sp.csr_matrix(
        (values[order].astype(np.float32), (rows[order], cols[order])), shape=(len(user_ids), len(item_ids))
    )
    item_texts = None if texts is None else [texts.get(i, "") for i in item_ids]
    return Dataset(matrix, user_ids, item_ids, item_texts, data.timestamps[order])


def load_mlcsv(directory: str) -> Interactions:
    """MovieLens "latest" layout: ratings.csv (userId,movieId,rating,timestamp)."""
    return read_interactions(os.path.join(directory, "ratings.csv"), ("userId", "movieId", "rating", "timestamp"))


def mlcsv_texts(directory: str) -> dict[str, str] | None:
    path = os.path.join(directory, "movies.csv")
    if not os.path.exists(path):
        return None
    texts = read_item_texts(path, ("movieId", "title", "genres"))
    add_tags(texts, os.path.join(directory, "tags.csv"))
    return texts


def load_ml100k(directory: str) -> Interactions:
    """MovieLens 100k layout: u.data, tab-separated user item rating timestamp, no header."""
    path = os.path.join(directory, "u.data")
    rows = []
    try:
        with open(path, encoding="latin-1") as handle:
            for line, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                parts = text.split("\t")
                if len(parts) < 4:
                    raise DataError(f"u.data line {line}: expected 4 tab-separated fields, got {len(parts)}")
                where = f"u.data line {line}"
                rows.append((parts[0].strip(), parts[1].strip(), number(parts[2], "rating", where),
                             number(parts[3], "timestamp", where)))  # fmt: skip
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None
    users, items, ratings, stamps = zip(*rows, strict=True) if rows else ((), (), (), ())
    return Interactions(np.array(users, dtype=str), np.array(items, dtype=str), np.array(ratings), np.array(stamps))


def ml100k_texts(directory: str) -> dict[str, str] | None:
    """u.item: id|title|release|video release|url|19 genre flags, latin-1."""
    path = os.path.join(directory, "u.item")
    if not os.path.exists(path):
        return None
    texts = {}
    with open(path, encoding="latin-1") as handle:
        for text in handle:
            parts = text.rstrip("\n").split("|")
            if len(parts) < 5:
                continue
            flags = parts[5:]
            genres = [g for g, f in zip(ML100K_GENRES, flags, strict=False) if f.strip() == "1"]
            texts[parts[0]] = " ".join([parts[1], *genres])
    return texts


def genre_matrix(directory: str, layout: str, item_ids: np.ndarray) -> sp.csr_matrix:
    """(n_items, n_genres) 0/1 rows of the items' genres, in `item_ids` order (empty rows when unknown)."""
    genres: dict[str, list[str]] = {}
    if layout == "mlcsv" and os.path.exists(os.path.join(directory, "movies.csv")):
        for _, row in read_csv(os.path.join(directory, "movies.csv"), ("movieId", "genres")):
            genres[row["movieId"]] = [g for g in row["genres"].split("|") if g and g != "(no genres listed)"]
    elif layout == "ml100k" and os.path.exists(os.path.join(directory, "u.item")):
        with open(os.path.join(directory, "u.item"), encoding="latin-1") as handle:
            for text in handle:
                parts = text.rstrip("\n").split("|")
                flags = parts[5:]
                genres[parts[0]] = [g for g, f in zip(ML100K_GENRES, flags, strict=False) if f.strip() == "1"]
    names = sorted({g for values in genres.values() for g in values})
    column = {g: n for n, g in enumerate(names)}
    rows = [(i, column[g]) for i, item in enumerate(item_ids) for g in genres.get(item, ())]
    r, c = zip(*rows, strict=True) if rows else ((), ())
    return sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(item_ids), len(names)))


def load_evaluation_data(directory: str, layout: str) -> Dataset:
    """Every rating becomes a positive interaction of weight 1 (the "watched" question)."""
    data, texts = load_layout(directory, layout)
    return to_dataset(data, np.ones(len(data.users)), texts)


def load_evaluation_ratings(directory: str, layout: str) -> Dataset:
    """The ratings themselves (0..5 stars) as the matrix, for `evaluation.question_split`."""
    data, texts = load_layout(directory, layout)
    bad = np.flatnonzero((data.ratings < 0) | (data.ratings > 5))
    if len(bad):
        raise DataError(f"{directory}: rating {data.ratings[bad[0]]} is not between 0 and 5 stars")
    return to_dataset(data, data.ratings, texts)


def load_layout(directory: str, layout: str) -> tuple[Interactions, dict[str, str] | None]:
    """(interactions, item documents) of a MovieLens directory in the given layout."""
    if layout == "mlcsv":
        data, texts = load_mlcsv(directory), mlcsv_texts(directory)
    elif layout == "ml100k":
        data, texts = load_ml100k(directory), ml100k_texts(directory)
    else:
        raise DataError(f"unknown format {layout!r}; use mlcsv or ml100k")
    if len(data.users) == 0:
        raise DataError(f"{directory}: no ratings")
    return data, texts
