"""Benchmark the API under gunicorn: health vs recommendations at 16 connections, then batch ingestion.

Run it on a database holding the demo catalog and a trained model, e.g.
    VAR_DIR=/tmp/encore-api-bench python manage.py bootstrap
    VAR_DIR=/tmp/encore-api-bench python manage.py shell -c \\
        "from recommendations.training import train_model_version; print(train_model_version())"
    ENCORE_BENCHMARKS=1 VAR_DIR=/tmp/encore-api-bench python manage.py bench_api
It serves the website's workspace, `default`. Everything it creates (a client, its
users and their events) is deleted at the end.
"""

import random
import secrets
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from benchmarks import loadgen, tenants
from catalog.models import Item
from core.workspaces import default_workspace_id
from recommendations.models import ModelVersion

TARGET_RATIO, TARGET_P99_MS, TARGET_EVENTS_PER_S = 0.4, 50.0, 5000


class Command(BaseCommand):
    help = "Load-test /api/v1/health/ and /api/v1/users/{user}/recommendations/ under gunicorn; time ingestion."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int, default=10, help="Per endpoint (default 10).")
        parser.add_argument("--connections", type=int, default=16)
        parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes.")
        parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (sync, gthread).")
        parser.add_argument("--users", type=int, default=50, help="Partner users with a history to ask for.")
        parser.add_argument("--events", type=int, default=50_000, help="Events to ingest, in batches of 10,000.")

    def handle(self, *args, seconds, connections, workers, worker_class, users, events, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)  # as a deployment would; whitenoise serves it
        website = Item.objects.website().active().order_by("-rating_count")
        popular = list(website.values_list("pk", flat=True)[:500])
        if len(popular) < 50:
            raise CommandError("load the demo catalog first: python manage.py bootstrap")
        if not ModelVersion.objects.active().filter(workspace_id=default_workspace_id()).exists():
            self.stderr.write("No active model: recommendations will be popularity only (train one first).")
        client, key = tenants.website_client_create(name=f"bench-{secrets.token_hex(4)}")
        server = None
        try:
            ids = tenants.people_seed(client=client, count=users)
            port = loadgen.free_port()
            base = f"http://127.0.0.1:{port}"
            server = loadgen.gunicorn_start(
                port=port, workers=workers, worker_class=worker_class, env=loadgen.server_env()
            )
            loadgen.wait_until_up(f"{base}/api/v1/health/")
            headers = {"Authorization": f"Api-Key {key}"}
            recommendation_paths = [f"/api/v1/users/{u}/recommendations/?limit=20" for u in ids]
            self._warm_up(base, recommendation_paths, headers, connections)
            health = loadgen.load(base=base, paths=["/api/v1/health/"], headers={}, connections=connections,
                                    seconds=seconds)  # fmt: skip
            recs = loadgen.load(base=base, paths=recommendation_paths, headers=headers, connections=connections,
                                  seconds=seconds)  # fmt: skip
            ingestion = self._ingest(base, headers, popular, events)
            self._report(health, recs, ingestion, connections, f"{workers} {worker_class} workers")
        finally:
            loadgen.process_group_stop(server)
            tenants.client_delete(client)  # with its users, their ratings, events and counters

    def _warm_up(self, base, paths, headers, connections):
        # Every worker loads the model artifact once and computes each user's first answer (~20 ms
        # with the hybrid model); the measured run is the steady state of repeated requests.
        loadgen.load(base=base, paths=paths, headers=headers, connections=connections, seconds=5)

    def _ingest(self, base, headers, popular, total) -> dict:
        rng = random.Random(7)
        kinds = ["view", "play", "like", "favorite", "share", "skip"]
        batches = []
        for start in range(0, total, 10_000):
            batch = []
            for n in range(start, min(total, start + 10_000)):
                user, item = f"ingest-{rng.randrange(2000)}", rng.choice(popular)
                if n % 4 == 0:
                    batch.append({"user": user, "item": item, "kind": "rating", "value": rng.choice([1.0, 3.5, 5.0])})
                else:
                    batch.append({"user": user, "item": item, "kind": rng.choice(kinds), "value": rng.random(),
                                  "timestamp": "2026-01-01T12:00:00Z", "idempotency_key": f"e{n}"})  # fmt: skip
            batches.append(batch)
        accepted, started = 0, time.perf_counter()
        for batch in batches:
            status, body = loadgen.post_json(f"{base}/api/v1/events/", batch, headers)
            if status != 200:
                raise CommandError(f"ingestion answered {status}: {body}")
            accepted += body["accepted"]
        elapsed = time.perf_counter() - started
        return {"events": accepted, "seconds": elapsed, "per_s": accepted / elapsed, "batches": len(batches)}

    def _report(self, health, recs, ingestion, connections, workers):
        ratio = recs.requests_per_s / health.requests_per_s
        write = self.stdout.write
        write(f"gunicorn: {workers}; load: {health.tool}, {connections} connections; database: {connection.vendor}")
        for name, result in (("health", health), ("recommendations?limit=20", recs)):
            write(f"{name:>26}: {result.requests_per_s:8.0f} req/s  p50 {result.p50_ms:6.1f} ms  "
                  f"p99 {result.p99_ms:6.1f} ms  errors {result.errors}")  # fmt: skip
        write(f"{'ratio':>26}: {ratio:.2f}x (target >= {TARGET_RATIO}x)  p99 target <= {TARGET_P99_MS:.0f} ms")
        write(f"{'ingestion':>26}: {ingestion['events']:,} events in {ingestion['batches']} batches, "
              f"{ingestion['seconds']:.2f}s = {ingestion['per_s']:,.0f} events/s "
              f"(target >= {TARGET_EVENTS_PER_S:,})")  # fmt: skip
        ok = ratio >= TARGET_RATIO and recs.p99_ms <= TARGET_P99_MS and ingestion["per_s"] >= TARGET_EVENTS_PER_S
        write(self.style.SUCCESS("all targets met") if ok else self.style.WARNING("some targets missed"))
