"""Benchmark: an end-to-end retrain (extraction -> fit -> evaluation -> artifact -> active).

`--setup` loads a synthetic catalog with MovieLens-20M proportions (the engine's
generator: 138,493 users, 26,744 items, ~20M ratings) into PostgreSQL with binary
COPY, indexes dropped during the load and rebuilt after. Then, without
--setup, one training run is timed in this process (or on --workers Celery
workers), with the peak memory of every process involved.
"""

import struct
import threading
import time
from datetime import UTC, datetime

import numpy as np
import psutil
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts.models import Profile
from catalog.models import Item, Rating
from recommendations.models import ModelVersion

PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC).timestamp()
STARS = np.array([1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0])
STAR_P = np.array([0.03, 0.07, 0.05, 0.2, 0.15, 0.25, 0.1, 0.15])


class Command(BaseCommand):
    help = "Time a full retrain on PostgreSQL; --setup loads the 20M-rating synthetic catalog first."

    def add_arguments(self, parser):
        parser.add_argument("--setup", action="store_true", help="Load the synthetic catalog (empty database only)")
        parser.add_argument("--scale", type=float, default=1.0, help="Fraction of ML-20M's size to load")
        parser.add_argument("--workers", type=int, default=0, help="Train on this many Celery workers (0: here)")

    def handle(self, *args, setup, scale, workers, **options):
        if connection.vendor != "postgresql":
            raise CommandError("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://…")
        if setup:
            return self._setup(scale)
        n = Rating.objects.count()
        self.stdout.write(f"{n:,} ratings, {Item.objects.count():,} items in the database")
        peak = PeakMemory()
        started = time.perf_counter()
        with peak:
            version = self._train_here() if not workers else self._train_on_workers(workers, peak)
        wall = time.perf_counter() - started
        self.stdout.write(f"{version}: {version.error or version.note or 'serving'}")
        self.stdout.write("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in version.timings.items()))
        self.stdout.write(f"metrics: {version.metrics}")
        extract = version.timings.get("extract", 0) or 1e-9
        self.stdout.write(f"extraction: {version.n_interactions / extract:,.0f} interactions/s")
        self.stdout.write(f"end to end: {wall:.1f}s (target <= 180s); peak RSS per process: {peak.report()}")

    def _train_here(self):
        from recommendations.training import train_model_version

        return train_model_version(trigger=ModelVersion.Trigger.MANUAL, force=True)

    def _train_on_workers(self, count, peak):
        import os

        from benchmarks import loadgen
        from recommendations.tasks import train_model

        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "ENCORE_SHARD_MIN_INTERACTIONS": "0"}
        processes = loadgen.celery_workers_start(count, env=env)
        for process in processes:
            peak.watch(process.pid)
        try:
            time.sleep(4)
            version_id = train_model.delay(ModelVersion.Trigger.MANUAL, force=True).get(timeout=3600)
            while (version := ModelVersion.objects.get(pk=version_id)).status == ModelVersion.Status.TRAINING:
                time.sleep(0.5)
            return version
        finally:
            loadgen.celery_workers_stop(processes)

    def _setup(self, scale):
        from recommendations.engine.synthetic import ML20M_INTERACTIONS, ML20M_SHAPE, synthetic_matrix

        if Rating.objects.exists():
            raise CommandError("The database already has ratings; --setup loads into an empty one.")
        n_users, n_items = (max(100, int(n * scale)) for n in ML20M_SHAPE)
        t0 = time.perf_counter()
        X = synthetic_matrix(n_users, n_items, int(ML20M_INTERACTIONS * scale))
        self.stdout.write(f"generated {X.nnz:,} ratings in {time.perf_counter() - t0:.1f}s")
        t1 = time.perf_counter()
        user_ids, item_ids = self._load_users_and_items(n_users, n_items)
        rng = np.random.default_rng(20)
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        stars = rng.choice(STARS, size=X.nnz, p=STAR_P)
        when = time.time() - rng.random(X.nnz) * 2 * 365 * 86400
        with transaction.atomic(), without_indexes(Rating._meta.db_table):
            copy_ratings(user_ids[rows], item_ids[X.indices], stars, when)
        self._refresh_counts()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        seconds = time.perf_counter() - t1
        self.stdout.write(f"loaded into PostgreSQL in {seconds:.1f}s ({X.nnz / seconds:,.0f} ratings/s)")

    def _load_users_and_items(self, n_users, n_items):
        """Users and items of the website's workspace, `default` (every person has a profile there)."""
        from core.workspaces import default_workspace_id

        now, workspace_id = datetime.now(UTC), default_workspace_id()
        User = get_user_model()
        with connection.cursor() as cursor:
            columns = "password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined"
            with cursor.cursor.copy(f"COPY {User._meta.db_table} ({columns}) FROM STDIN") as copy:
                for u in range(n_users):
                    copy.write_row(("!", False, f"synthetic{u}", "", "", "", False, True, now))
            columns = (
                "workspace_id, kind, title, description, creators, image_url, source, source_id, external_ids, "
                "is_active, rating_count, created_at, updated_at"
            )
            with cursor.cursor.copy(f"COPY {Item._meta.db_table} ({columns}) FROM STDIN") as copy:
                for i in range(n_items):
                    copy.write_row(
                        (workspace_id, "movie", f"Synthetic {i}", "", "[]", "", "synthetic", str(i), "{}", True, 0,
                         now, now)
                    )  # fmt: skip
        users = dict(User.objects.filter(username__startswith="synthetic").values_list("username", "pk"))
        with connection.cursor() as cursor:
            sql = f"COPY {Profile._meta.db_table} (user_id, workspace_id, onboarding_skipped) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                for pk in users.values():
                    copy.write_row((pk, workspace_id, False))
        items = dict(Item.objects.filter(source="synthetic").values_list("source_id", "pk"))
        return (
            np.array([users[f"synthetic{u}"] for u in range(n_users)], dtype=np.int64),
            np.array([items[str(i)] for i in range(n_items)], dtype=np.int64),
        )

    def _refresh_counts(self):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Item._meta.db_table} AS i SET rating_count = s.n, rating_avg = s.a "  # noqa: S608
                f"FROM (SELECT item_id, count(*) AS n, avg(value) AS a FROM {Rating._meta.db_table} "
                "GROUP BY item_id) s "
                "WHERE i.id = s.item_id"
            )


def copy_ratings(users, items, stars, unix_seconds, chunk=2_000_000):
    """Binary COPY of ratings built with numpy: fixed-width rows, no per-row Python."""
    fields = [("user", ">i4"), ("item", ">i8"), ("value", ">f8"), ("created", ">i8"), ("updated", ">i8")]
    row = np.dtype([("n", ">i2")] + [p for i, f in enumerate(fields) for p in ((f"l{i}", ">i4"), f)])
    columns = "user_id, item_id, value, created_at, updated_at"
    sql = f"COPY {Rating._meta.db_table} ({columns}) FROM STDIN (FORMAT BINARY)"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
        for start in range(0, len(users), chunk):
            stop = min(start + chunk, len(users))
            out = np.empty(stop - start, dtype=row)
            out["n"], out["l0"], out["l1"], out["l2"], out["l3"], out["l4"] = 5, 4, 8, 8, 8, 8
            out["user"], out["item"], out["value"] = users[start:stop], items[start:stop], stars[start:stop]
            micros = ((unix_seconds[start:stop] - PG_EPOCH) * 1e6).astype(np.int64)
            out["created"], out["updated"] = micros, micros
            copy.write(out.tobytes())
        copy.write(struct.pack(">h", -1))


class without_indexes:
    """Drop a table's secondary indexes, unique and foreign-key constraints for a bulk load; rebuild after."""

    def __init__(self, table):
        self.table = table

    def __enter__(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('u', 'f')",
                [self.table],
            )
            self.constraints = cursor.fetchall()
            for name, _ in self.constraints:
                cursor.execute(f'ALTER TABLE {self.table} DROP CONSTRAINT "{name}"')
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT LIKE '%%_pkey'",
                [self.table],
            )
            self.indexes = cursor.fetchall()
            for name, _ in self.indexes:
                cursor.execute(f'DROP INDEX "{name}"')

    def __exit__(self, *exc):
        if exc[0] is not None:
            return
        with connection.cursor() as cursor:
            for _, definition in self.indexes:
                cursor.execute(definition)
            for name, definition in self.constraints:
                cursor.execute(f'ALTER TABLE {self.table} ADD CONSTRAINT "{name}" {definition}')


class PeakMemory:
    """Samples the RSS of this process and of watched ones (and their children) every 0.2 s."""

    def __init__(self):
        self.peaks: dict[str, int] = {}
        self.pids = {psutil.Process().pid}
        self._stop = threading.Event()

    def watch(self, pid):
        self.pids.add(pid)

    def _sample(self):
        while not self._stop.wait(0.2):
            for pid in list(self.pids):
                try:
                    process = psutil.Process(pid)
                    for p in [process, *process.children(recursive=True)]:
                        key = f"{p.pid}"
                        self.peaks[key] = max(self.peaks.get(key, 0), p.memory_info().rss)
                except psutil.Error:
                    continue

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def report(self) -> str:
        top = sorted(self.peaks.values(), reverse=True)[:4]
        return (
            ", ".join(f"{v / 2**30:.2f} GB" for v in top) + f" (limit 4 GB; settings {settings.ENCORE_MODEL_ALGORITHM})"
        )
