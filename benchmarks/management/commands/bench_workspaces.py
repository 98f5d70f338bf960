"""Benchmark many small workspaces: load them, retrain them all on Celery workers, serve them under gunicorn.

    ENCORE_BENCHMARKS=1 VAR_DIR=/tmp/encore-ws-bench python manage.py bench_workspaces

On a database with the demo catalog (bootstrap loads it when it is missing), it
creates --workspaces tenants of a few hundred titles, 50-300 people and
--min-events to --max-events events each, through the API's write services. Then:
1. --workers Celery workers start; the dispatcher queues every workspace whose data
   changed (exactly the new ones: whatever else was due is trained first, untimed);
   the wall time until each has an active version is the time to retrain them all.
2. Under gunicorn, wrk at --connections asks for recommendations of --people people of
   `default` in random order (the single-workspace figure), then of as many people of
   the tenants (the same number from each), each request with its tenant's own key.
   Each run follows a warm-up over the same people, so both measure the steady state of
   repeated requests, where the two differ by what serving many workspaces costs.
3. The web workers' memory (RSS) and their model caches' own accounting, against
   ENCORE_MODEL_CACHE_MB (--cache-mb).
Everything it made (workspaces, their people, models and artifacts, the default
workspace's load-test people) is deleted at the end, on Ctrl-C too.
"""

import json
import os
import random
import signal
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from benchmarks import loadgen, tenants
from catalog.models import Item
from recommendations.models import ModelVersion

TARGET_RETRAIN_S, TARGET_P99_MS = 300.0, 50.0
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
RECOMMENDATIONS = "/api/v1/users/{}/recommendations/?limit=20"


class Command(BaseCommand):
    help = "Create many small workspaces, retrain them all on Celery workers, then serve random ones under wrk."

    def add_arguments(self, parser):
        parser.add_argument("--workspaces", type=int, default=200)
        parser.add_argument("--min-events", type=int, default=1000, help="Events of the smallest workspace.")
        parser.add_argument("--max-events", type=int, default=5000, help="Events of the largest workspace.")
        parser.add_argument("--workers", type=int, default=2, help="Celery workers (one process each).")
        parser.add_argument("--seconds", type=int, default=20, help="Of each load run.")
        parser.add_argument("--warm-up", type=int, default=10, help="Seconds of load before each measured run.")
        parser.add_argument("--connections", type=int, default=16)
        parser.add_argument("--web-workers", type=int, default=3, help="gunicorn sync worker processes.")
        parser.add_argument(
            "--cache-mb", type=int, default=64,
            help="ENCORE_MODEL_CACHE_MB of the web workers (default 64: less than the tenants' models take).",
        )  # fmt: skip
        parser.add_argument(
            "--people", type=int, default=200,
            help="Distinct people asked for in each load run (default 200: one per workspace).",
        )  # fmt: skip
        parser.add_argument("--timeout", type=int, default=3600, help="Seconds to wait for the retraining.")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--clean", action="store_true", help="Only delete what interrupted runs left.")

    def handle(self, *args, **options):
        if options["clean"]:
            deleted = tenants.leftovers_delete()
            self.stdout.write(f"deleted {deleted} workspace(s) and load-test client(s) of earlier runs")
            return
        if options["min_events"] > options["max_events"] or options["workspaces"] < 1:
            raise CommandError("need --workspaces >= 1 and --min-events <= --max-events")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)  # as a deployment would; whitenoise serves it
        if not Item.objects.website().filter(source="movielens").exists():
            self.stdout.write("No demo catalog in this database: loading it (manage.py bootstrap) …")
            call_command("bootstrap")
        if leftovers := tenants.leftovers():
            self.stderr.write(f"{leftovers} workspace(s) of an interrupted run are here (delete them with --clean)")
        prefix = tenants.run_prefix()
        # SIGTERM cleans up like Ctrl-C: the `finally` below deletes what the run made.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            with ExitStack() as cleanup:
                cleanup.callback(self._delete, prefix)
                self._run(prefix, cleanup, options)
        except KeyboardInterrupt:
            raise CommandError("interrupted; everything the run made is deleted") from None
        finally:
            signal.signal(signal.SIGTERM, previous)

    def _run(self, prefix: str, cleanup: ExitStack, options: dict) -> None:
        out = self.stdout.write
        out(f"database: {connection.vendor}; broker: {settings.CELERY_BROKER_URL.split('://')[0]}; "
            f"cache: {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}")  # fmt: skip
        self._train_due_first()
        started = time.perf_counter()
        made = tenants.tenants_create(
            prefix=prefix, count=options["workspaces"], min_events=options["min_events"],
            max_events=options["max_events"], seed=options["seed"], progress=self._progress(options["workspaces"]),
        )  # fmt: skip
        seconds = time.perf_counter() - started
        events = sum(t.events for t in made)
        out(f"loaded {len(made)} workspaces: {sum(t.items for t in made):,} items, "
            f"{sum(len(t.people) for t in made):,} people, {events:,} events in {seconds:.1f}s "
            f"({events / seconds:,.0f} events/s through the write services)")  # fmt: skip
        retrain = self._retrain(made, options["workers"], options["timeout"], cleanup)
        serving = self._serve(made, prefix, cleanup, options)
        self._report(retrain, serving, options)

    def _progress(self, total: int):
        step = max(1, total // 10)

        def progress(done: int) -> None:
            if done % step == 0 or done == total:
                self.stdout.write(f"  {done}/{total} workspaces loaded")

        return progress

    def _train_due_first(self) -> None:
        """Train, here and untimed, whatever the dispatcher would pick besides the new workspaces."""
        from recommendations.training import train_model_version
        from recommendations.training.dispatch import workspaces_due_for_training

        for workspace_id, _ in workspaces_due_for_training():
            self.stdout.write(f"workspace {workspace_id} is due for training: training it first, not timed …")
            version = train_model_version(workspace_id=workspace_id, trigger=ModelVersion.Trigger.MANUAL)
            self.stdout.write(f"  {version}: {version.total_seconds:.1f}s {version.error or version.note}")

    # --- 1. Retraining ---------------------------------------------------------------------------------

    def _retrain(self, made: list[tenants.Tenant], workers: int, timeout: int, cleanup: ExitStack) -> dict:
        from recommendations.tasks import dispatch_training, workers_alive

        processes = loadgen.celery_workers_start(workers, env={**os.environ, **WORKER_ENV}, name="benchws")
        cleanup.callback(loadgen.celery_workers_stop, processes)
        deadline = time.monotonic() + 120
        while len([n for n in workers_alive() if n.startswith("benchws")]) < workers:
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise CommandError(f"{workers} Celery worker(s) did not start within 120s")
        ids = {t.workspace_id for t in made}
        started_at, started = time.time(), time.perf_counter()
        queued = set(dispatch_training())  # as beat would call it, here so it runs now
        if not ids <= queued:
            raise CommandError(f"the dispatcher queued {len(queued & ids)} of the {len(ids)} new workspaces")
        versions = self._wait_trained(ids, started + timeout)
        wall = time.perf_counter() - started
        loadgen.celery_workers_stop(processes)
        runs = [(v.finished_at - v.created_at).total_seconds() for v in versions.values()]
        active = [v for v in versions.values() if v.status == ModelVersion.Status.ACTIVE]
        for v in versions.values():
            if v.status != ModelVersion.Status.ACTIVE:
                self.stderr.write(f"workspace {v.workspace_id}: {v} {v.error or v.note}")
        return {
            "wall": wall, "queued": len(queued), "others": len(queued - ids), "active": len(active),
            "count": len(ids), "mean": statistics.mean(runs), "max": max(runs),
            "ndcg": statistics.mean(v.ndcg or 0.0 for v in active) if active else 0.0,
            "last_started": max(v.created_at.timestamp() for v in versions.values()) - started_at,
        }  # fmt: skip

    def _wait_trained(self, ids: set[int], deadline: float) -> dict[int, ModelVersion]:
        """Each workspace's finished version (active, or failed or not activated), once all are finished."""
        done: dict[int, ModelVersion] = {}
        while len(done) < len(ids):
            if time.perf_counter() > deadline:
                raise CommandError(f"{len(ids) - len(done)} workspace(s) still training at the timeout")
            finished = ModelVersion.objects.filter(workspace_id__in=ids - done.keys(), finished_at__isnull=False)
            for version in finished.exclude(status=ModelVersion.Status.TRAINING):
                done.setdefault(version.workspace_id, version)
            time.sleep(0.5)
        return done

    # --- 2 and 3. Serving and memory -------------------------------------------------------------------

    def _serve(self, made: list[tenants.Tenant], prefix: str, cleanup: ExitStack, options: dict) -> dict:
        rng = random.Random(options["seed"])
        website, key = tenants.website_client_create(name=f"{prefix} load test")
        cleanup.callback(tenants.client_delete, website)
        people = tenants.people_seed(client=website, count=options["people"], seed=options["seed"])
        single = [RECOMMENDATIONS.format(person) for person in people]
        # As many people of the tenants, taken from each workspace in turn, each asked for with its key.
        picks = [made[n % len(made)] for n in range(options["people"])]
        multi = [RECOMMENDATIONS.format(rng.choice(t.people)) for t in picks]
        multi_headers = [{"Authorization": f"Api-Key {t.key}"} for t in picks]
        stats_dir = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="encore-bench-"))
        env = loadgen.server_env(ENCORE_MODEL_CACHE_MB=str(options["cache_mb"]), ENCORE_BENCH_STATS_DIR=stats_dir)
        port = loadgen.free_port()
        base = f"http://127.0.0.1:{port}"
        hooks = str(Path(loadgen.__file__).with_name("gunicorn_hooks.py"))
        server = loadgen.gunicorn_start(
            port=port, workers=options["web_workers"], worker_class="sync", env=env, config=hooks
        )
        cleanup.callback(loadgen.process_group_stop, server)
        loadgen.wait_until_up(f"{base}/api/v1/health/")
        run = {"base": base, "connections": options["connections"]}
        headers = {"Authorization": f"Api-Key {key}"}
        # Warm-ups go through the paths in turn, so every person is asked for before the measured run.
        loadgen.load(**run, paths=single, headers=headers, seconds=options["warm_up"])
        single_result = loadgen.load(**run, paths=single, headers=headers, seconds=options["seconds"], shuffle=True)
        loadgen.load(**run, paths=multi, headers={}, path_headers=multi_headers, seconds=options["warm_up"])
        multi_result = loadgen.load(
            **run, paths=multi, headers={}, path_headers=multi_headers, seconds=options["seconds"], shuffle=True
        )
        master = loadgen.process_rss(server.pid)
        loadgen.process_group_stop(server)  # each worker writes its memory and model cache as it exits
        reports = [json.loads(path.read_text()) for path in Path(stats_dir).glob("*.json")]
        started = {r["pid"]: r["rss"] for r in reports if "models" not in r}
        ended = [r for r in reports if "models" in r]
        for worker in ended:
            worker["growth"] = worker["rss"] - started.get(worker["pid"], worker["rss"])
        return {"single": single_result, "multi": multi_result, "master": master, "workers": ended}

    # --- Report -----------------------------------------------------------------------------------------

    def _report(self, retrain: dict, serving: dict, options: dict) -> None:
        out, mb = self.stdout.write, 2**20
        out(f"retrain: {retrain['count']} workspaces on {options['workers']} worker(s) in {retrain['wall']:.1f}s "
            f"(per workspace: mean {retrain['mean']:.1f}s, max {retrain['max']:.1f}s; last one started after "
            f"{retrain['last_started']:.0f}s); {retrain['active']} active, mean nDCG@10 {retrain['ndcg']:.3f}; "
            f"the dispatcher queued {retrain['queued']} ({retrain['others']} other)")  # fmt: skip
        single, multi = serving["single"], serving["multi"]
        out(f"serving: gunicorn {options['web_workers']} sync workers, {single.tool} at {options['connections']} "
            f"connections, {options['seconds']}s each, {options['people']} distinct people per run")  # fmt: skip
        for name, result in (("default only", single), (f"{retrain['count']} workspaces", multi)):
            out(f"{name:>16}: {result.requests_per_s:8.0f} req/s  p50 {result.p50_ms:6.1f} ms  "
                f"p99 {result.p99_ms:6.1f} ms  errors {result.errors}")  # fmt: skip
        out(f"{'ratio':>16}: {multi.requests_per_s / single.requests_per_s:.2f}x the single-workspace requests/s")
        out(f"memory (ENCORE_MODEL_CACHE_MB={options['cache_mb']}; gunicorn master "
            f"{serving['master'] / mb:.0f} MB):")  # fmt: skip
        for w in serving["workers"]:
            out(f"  web worker {w['pid']}: RSS {w['rss'] / mb:.0f} MB = {(w['rss'] - w['growth']) / mb:.0f} MB "
                f"once started + {w['bytes'] / mb:.1f} MB of models ({w['models']} held, largest "
                f"{w['largest'] / mb:.1f} MB) + {(w['growth'] - w['bytes']) / mb:.0f} MB else")  # fmt: skip
        # The bound is the model cache's: what it holds, by its own accounting (a single model may
        # exceed it, as the cache always keeps the one in use). The rest of RSS is shown above.
        within = bool(serving["workers"]) and all(
            w["bytes"] <= w["bound"] or w["models"] == 1 for w in serving["workers"]
        )
        goals = [
            (f"retrain all < {TARGET_RETRAIN_S:.0f}s", retrain["wall"] < TARGET_RETRAIN_S
             and retrain["active"] == retrain["count"]),
            (f"serving p99 <= {TARGET_P99_MS:.0f} ms", multi.p99_ms <= TARGET_P99_MS and multi.errors == 0),
            (f"memory within ENCORE_MODEL_CACHE_MB={options['cache_mb']}", within),
        ]  # fmt: skip
        for name, met in goals:
            out(self.style.SUCCESS(f"met: {name}") if met else self.style.WARNING(f"missed: {name}"))

    def _delete(self, prefix: str) -> None:
        started = time.perf_counter()
        deleted = tenants.tenants_delete(prefix)
        self.stdout.write(f"deleted the {deleted} workspaces in {time.perf_counter() - started:.1f}s")


def _interrupt(signum, frame):
    raise KeyboardInterrupt
