"""Impressions: every list served gets a `recommendation_id` and a row saying what it showed.

Recording must not slow the list down. With ENCORE_IMPRESSIONS="buffered" (the default) a
request only appends a plain tuple to this process's buffer; a background thread writes the
buffer in one bulk insert (COPY on PostgreSQL) every FLUSH_SECONDS, a request that finds BATCH
rows waiting (the thread far behind) writes them itself, and the process writes what is left
when it exits. Nothing is dropped: a full buffer
(MAX_ROWS) is written by the request that fills it rather than discarded. What a process
killed outright (SIGKILL, power loss) still held — at most FLUSH_SECONDS of its lists — is
lost. "sync" writes each row in its request (tests, debugging); "off" records nothing.

A row whose person or model version was deleted before the write is dropped alone; the rest of
the batch is kept. Each batch also stores the first sight of each person in an experiment
(`Assignment`), which makes a report's people exact.
"""

import atexit
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from catalog.bulk import insert_rows
from core import process_caches
from experiments.models import Assignment, Impression
from experiments.serving import Choice
from recommendations.models import ModelVersion

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.5
# Rows waiting at which the request that adds one writes them all: only when the writer thread falls far
# behind (a process serving thousands of lists a second, or a database away), so requests never pay for it.
BATCH = 5_000
MAX_ROWS = 20_000  # the buffer's bound (rows)


@dataclass(frozen=True)
class Shown:
    """What a served list says about itself: its id and the variant that served it."""

    recommendation_id: str | None
    variant: str


def impression_record(*, workspace_id: int, user_id: int | None, placement: str, choice: Choice,
                      model_version_id: int | None, items) -> Shown:  # fmt: skip
    """Record that `items` (pks, first shown first) were listed to `user_id`; returns the list's id."""
    mode = settings.ENCORE_IMPRESSIONS
    if mode == "off":
        return Shown(None, choice.variant)
    listed = uuid.uuid4()
    # A plain tuple in COLUMNS' order: a request pays for no model instance, the writer for no field logic.
    row = (listed, workspace_id, user_id, placement, choice.experiment_id, choice.variant, model_version_id,
           json.dumps([int(pk) for pk in items]), timezone.now())  # fmt: skip
    if mode == "sync":
        impressions_write([row])
    else:
        buffer.add(row)
    return Shown(str(listed), choice.variant)


COLUMNS = ("id", "workspace_id", "user_id", "placement", "experiment_id", "variant", "model_version_id", "items",
           "shown_at")  # fmt: skip
_USER, _EXPERIMENT, _VARIANT, _VERSION, _AT = (
    COLUMNS.index(name) for name in ("user_id", "experiment_id", "variant", "model_version_id", "shown_at")
)


def impressions_write(rows: list[tuple]) -> int:
    """Insert the rows (tuples in COLUMNS' order) and the assignments they show; returns how many were stored.

    Rows whose person or model version was deleted since they were served are dropped (they are looked
    up first); a deletion racing this very write fails the batch (IntegrityError), which the buffer then
    keeps for its next try. The rows go through catalog.bulk (COPY on PostgreSQL), with every constraint
    and foreign key checked.
    """
    rows = _still_there(rows)
    if not rows:
        return 0
    key = Impression._meta.pk
    with transaction.atomic():
        insert_rows(Impression, COLUMNS, [(key.get_db_prep_value(r[0], connection), *r[1:]) for r in rows])
        _assignments(rows)
    return len(rows)


def _still_there(rows: list[tuple]) -> list[tuple]:
    users = {r[_USER] for r in rows if r[_USER] is not None}
    versions = {r[_VERSION] for r in rows if r[_VERSION] is not None}
    users = set(get_user_model().objects.filter(pk__in=users).values_list("pk", flat=True)) if users else set()
    if versions:
        versions = set(ModelVersion.objects.filter(pk__in=versions).values_list("pk", flat=True))
    users, versions = users | {None}, versions | {None}
    kept = [r for r in rows if r[_USER] in users and r[_VERSION] in versions]
    if len(kept) < len(rows):
        log.info("%d impressions dropped: their person or model version is gone", len(rows) - len(kept))
    return kept


def _assignments(rows: list[tuple]) -> None:
    seen = {(r[_EXPERIMENT], r[_USER]): r for r in rows if r[_EXPERIMENT] and r[_USER]}
    if seen:
        Assignment.objects.bulk_create(
            [Assignment(experiment_id=e, user_id=u, variant=r[_VARIANT], first_seen=r[_AT])
             for (e, u), r in seen.items()],
            ignore_conflicts=True,
        )  # fmt: skip


class _Buffer:
    """This process's impressions not written yet (bounded by MAX_ROWS), and the thread that writes them."""

    def __init__(self):
        self._rows: list[tuple] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # one write at a time, in order
        self._pid = None  # the process whose thread runs: a forked child starts its own

    def add(self, row: tuple) -> None:
        with self._lock:
            self._rows.append(row)
            waiting = len(self._rows)
        if self._pid != os.getpid():
            self._start()
        if waiting >= BATCH:
            self.flush()

    def flush(self) -> int:
        """Write every row waiting; returns how many were stored."""
        with self._write_lock:
            with self._lock:
                rows, self._rows = self._rows, []
            if not rows:
                return 0
            try:
                return impressions_write(rows)
            except DatabaseError:
                with self._lock:  # the database is away: keep them for the next try, within the bound
                    self._rows[:0] = rows[-MAX_ROWS:]
                    del self._rows[MAX_ROWS:]
                raise

    def waiting(self) -> int:
        with self._lock:
            return len(self._rows)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
        threading.Thread(target=self._run, name="impressions", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            try:
                self.flush()
            except Exception:
                log.exception("writing impressions failed; they are kept for the next try")
                connection.close()  # this thread's own connection: a fresh one for the next try
            else:
                # Kept between writes (opening one costs a database process on PostgreSQL), renewed as
                # CONN_MAX_AGE says, like a request's.
                connection.close_if_unusable_or_obsolete()


buffer = _Buffer()
process_caches.register("impressions not written yet", clear=buffer.clear)


@atexit.register
def _write_on_exit() -> None:
    if buffer.waiting():
        try:
            buffer.flush()
        except Exception:
            log.exception("impressions still buffered at exit could not be written")


def flush() -> int:
    """Write what this process holds now (tests, a report run in this process)."""
    return buffer.flush()
