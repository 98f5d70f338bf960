"""Import a MovieLens dataset: ml-latest(-small) CSVs or the classic ml-100k files.

Bulk and idempotent: existing rows are loaded once per batch and compared, so
a second run writes nothing; each ratings batch is its own transaction, so a
failure keeps every batch before it, with its items' rating counters true.
Bad rows are reported and skipped.
"""

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import Profile
from catalog.importers.reader import ImportReport, read_rows
from catalog.importers.records import ItemRecord, upsert_item_tags, upsert_items
from catalog.models import RATING_VALUES
from catalog.services import ratings_upsert_bulk
from core.models import Workspace
from core.workspaces import default_workspace

FORMATS = ("mlcsv", "ml100k")
ML100K_GENRES = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
]
_YEAR = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})(?:[-–]\d{0,4})?\)\s*$")
_ARTICLE = re.compile(
    r"^(?P<rest>.+), (?P<article>The|A|An|Les|La|Le|L'|Il|Die|Der|Das|El|Los|Las)(?P<tail>\s*\(.*\))?$"
)
_VALID_RATINGS = frozenset(RATING_VALUES)

Progress = Callable[[str], None]


def detect_format(path: Path) -> str:
    if (path / "ratings.csv").exists() and (path / "movies.csv").exists():
        return "mlcsv"
    if (path / "u.data").exists() and (path / "u.item").exists():
        return "ml100k"
    raise FileNotFoundError(f"{path} holds neither movies.csv + ratings.csv (ml-latest) nor u.item + u.data (ml-100k)")


def parse_title(raw: str) -> tuple[str, int | None]:
    """'American President, The (1995)' -> ('The American President', 1995)."""
    raw = raw.strip()
    match = _YEAR.match(raw)
    title, year = (match["title"], int(match["year"])) if match else (raw, None)
    article = _ARTICLE.match(title)
    if article:
        title = f"{article['article']} {article['rest']}{article['tail'] or ''}".replace("L' ", "L'")
    return title, year


def import_movielens(
    path: Path,
    *,
    fmt: str | None = None,
    batch_size: int = 50_000,
    progress: Progress | None = None,
    workspace: Workspace | None = None,
) -> ImportReport:
    """Import into `workspace` (default: the website's). Its people are demo accounts of the website
    in `default` (demo1 … with ENCORE_DEMO_PASSWORD) and accounts that cannot sign in elsewhere."""
    workspace = workspace or default_workspace()
    path = Path(path)
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    report = ImportReport()
    say = progress or (lambda message: None)
    source = "movielens" if fmt == "mlcsv" else "ml100k"

    started = time.perf_counter()
    records = _read_items_csv(path, report) if fmt == "mlcsv" else _read_items_100k(path, report)
    item_ids = upsert_items(workspace.pk, source, records, report)
    report.seconds["items"] = time.perf_counter() - started
    say(f"items: {len(item_ids):,} in the catalog")

    if fmt == "mlcsv" and (path / "tags.csv").exists():
        started = time.perf_counter()
        _import_tags(workspace.pk, path / "tags.csv", item_ids, report)
        report.seconds["tags"] = time.perf_counter() - started

    # Existing accounts are looked up, and the password hash of new ones made, before the ratings:
    # the hash is deliberately slow and has nothing to do with writing ratings.
    started = time.perf_counter()
    ratings_file = path / ("ratings.csv" if fmt == "mlcsv" else "u.data")
    users = _UserDirectory(workspace, "demo" if fmt == "mlcsv" else "ml100k_")
    dataset_users, total = _scan_ratings(ratings_file, fmt)
    users.prepare(dataset_users)
    report.seconds["users"] = time.perf_counter() - started

    started = time.perf_counter()
    _import_ratings(ratings_file, fmt, total, item_ids, users, report, batch_size, say)
    report.seconds["ratings"] = time.perf_counter() - started
    return report


def _read_items_csv(path: Path, report: ImportReport) -> list[ItemRecord]:
    links: dict[str, dict] = {}
    if (path / "links.csv").exists():
        for _, (movie_id, imdb, tmdb) in read_rows(path / "links.csv", report, columns=3):
            ids = {"imdb": f"tt{imdb}"} if imdb else {}
            if tmdb:
                ids["tmdb"] = tmdb
            links[movie_id] = ids
    records = []
    for lineno, (movie_id, raw_title, genres) in read_rows(path / "movies.csv", report, columns=3):
        if not movie_id.isdigit():
            report.error("movies.csv", lineno, f"movieId must be a whole number, got {movie_id!r}")
            continue
        title, year = parse_title(raw_title)
        names = [] if genres == "(no genres listed)" else [g for g in genres.split("|") if g]
        records.append(ItemRecord(movie_id, title, year, names, links.get(movie_id, {})))
    return records


def _read_items_100k(path: Path, report: ImportReport) -> list[ItemRecord]:
    records = []
    rows = read_rows(path / "u.item", report, delimiter="|", encoding="latin-1", header=False, columns=24)
    for lineno, fields in rows:
        movie_id, raw_title, flags = fields[0], fields[1], fields[5:]
        if not movie_id.isdigit() or any(f not in ("0", "1") for f in flags):
            report.error("u.item", lineno, "movie id must be a number and genre flags 0 or 1")
            continue
        title, year = parse_title(raw_title)
        names = [g for g, flag in zip(ML100K_GENRES, flags, strict=True) if flag == "1" and g != "unknown"]
        records.append(ItemRecord(movie_id, title, year, names, {}))
    return records


def _import_tags(workspace_id: int, tags_file: Path, item_ids: dict[str, int], report: ImportReport) -> None:
    counts: dict[tuple[int, str], int] = {}
    for lineno, (_, movie_id, tag, _) in read_rows(tags_file, report, columns=4):
        item_id = item_ids.get(movie_id)
        name = " ".join(tag.split()).lower()[:100]
        if item_id is None:
            report.error(tags_file.name, lineno, f"unknown movieId {movie_id!r}")
        elif name:
            counts[item_id, name] = counts.get((item_id, name), 0) + 1
    upsert_item_tags(workspace_id, counts, report)


class _UserDirectory:
    """Maps dataset user ids to accounts, creating missing ones in bulk.

    Demo accounts share one password hash (hashing 600 passwords one by one
    would take minutes); the password is documented in the README. Usernames are
    global: in a workspace other than `default` they carry its slug ("acme:demo1")
    and cannot sign in to the website, which is `default`'s.
    """

    def __init__(self, workspace: Workspace, prefix: str):
        self.workspace = workspace
        self.prefix = prefix if workspace.is_default else f"{workspace.slug}:{prefix}"
        self.ids: dict[str, int] = {}
        self._hash: str | None = None

    def prepare(self, dataset_ids: set[str]) -> None:
        """Look up the accounts of `dataset_ids`; if some are missing, make the shared password hash now.

        Accounts are still created only for users with a valid rating, by resolve().
        """
        names = {f"{self.prefix}{u}": u for u in dataset_ids}
        for username, pk in self._accounts(names):
            self.ids[names[username]] = pk
        if len(self.ids) < len(dataset_ids):
            self._password_hash()

    def _password_hash(self) -> str:
        from django.conf import settings

        if not self.workspace.is_default:
            return make_password(None)
        self._hash = self._hash or make_password(settings.ENCORE_DEMO_PASSWORD)
        return self._hash

    def _accounts(self, names):
        """(username, pk) of the existing accounts among `names` that are people of this workspace."""
        User = get_user_model()
        found = User.objects.filter(username__in=names, profile__workspace=self.workspace)
        return found.values_list("username", "pk").iterator()

    def resolve(self, dataset_ids: set[str], report: ImportReport) -> dict[str, int]:
        User = get_user_model()
        missing = {u for u in dataset_ids if u not in self.ids}
        if missing:
            # In the order of the dataset's ids (demo1, demo2, …), not a set's, which varies between runs.
            names = {f"{self.prefix}{u}": u for u in sorted(missing, key=lambda u: (len(u), u))}
            for username, pk in self._accounts(names):
                self.ids[names.pop(username)] = pk
            if names:
                password = self._password_hash()
                User.objects.bulk_create([User(username=n, password=password) for n in names])
                created = User.objects.filter(username__in=names).values_list("username", "pk")
                Profile.objects.bulk_create([Profile(user_id=pk, workspace=self.workspace) for _, pk in created])
                for username, pk in self._accounts(names):
                    self.ids[names[username]] = pk
                report.count("created", "users", len(names))
        return self.ids


def _scan_ratings(ratings_file: Path, fmt: str) -> tuple[set[str], int]:
    """The well-formed user ids of a ratings file (its first column) and its number of data lines.

    Other lines are the ratings pass's to report.
    """
    delimiter = b"," if fmt == "mlcsv" else b"\t"
    users, total = set(), 0
    with ratings_file.open("rb") as handle:
        if fmt == "mlcsv":
            next(handle, None)
        for line in handle:
            total += 1
            user = line.split(delimiter, 1)[0].strip()
            if user.isdigit():
                users.add(user)
    return {user.decode() for user in users}, total


def _import_ratings(ratings_file, fmt, total, item_ids, users, report, batch_size, say) -> None:
    delimiter, header = ("," if fmt == "mlcsv" else "\t"), fmt == "mlcsv"
    started, done, batch = time.perf_counter(), 0, []
    for lineno, fields in read_rows(ratings_file, report, delimiter=delimiter, header=header, columns=4):
        row = _parse_rating(ratings_file.name, lineno, fields, item_ids, report)
        if row:
            batch.append(row)
        if len(batch) >= batch_size:
            done += _write_ratings(batch, users, report)
            batch = []
            rate = done / max(time.perf_counter() - started, 1e-9)
            say(f"ratings: {done:,}/{total:,} ({rate:,.0f} rows/s)")
    done += _write_ratings(batch, users, report)
    say(f"ratings: {done:,}/{total:,} done")


def _parse_rating(name, lineno, fields, item_ids, report):
    user, movie, value, stamp = (f.strip() for f in fields)
    try:
        rating, seconds = float(value), int(stamp)
    except ValueError:
        report.error(name, lineno, f"rating and timestamp must be numbers, got {value!r} and {stamp!r}")
        return None
    if rating not in _VALID_RATINGS:
        report.error(name, lineno, f"rating {value} is outside 0.5-5.0 in half steps")
        return None
    if not (user.isascii() and user.isdigit()):  # "²" is a digit to isdigit(), not a number
        report.error(name, lineno, f"user id must be a whole number, got {user!r}")
        return None
    item_id = item_ids.get(movie)
    if item_id is None:
        report.error(name, lineno, f"unknown item {movie!r}")
        return None
    return user, item_id, rating, datetime.fromtimestamp(seconds, tz=UTC)


def _write_ratings(batch, users, report) -> int:
    if not batch:
        return 0
    with transaction.atomic():
        user_ids = users.resolve({row[0] for row in batch}, report)
        written = ratings_upsert_bulk(rows=((user_ids[u], item, value, when) for u, item, value, when in batch))
    report.count("created", "ratings", written.created)
    report.count("updated", "ratings", written.updated)
    report.count("unchanged", "ratings", written.unchanged)
    return len(batch)
