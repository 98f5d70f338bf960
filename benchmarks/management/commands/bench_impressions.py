"""Benchmark impression recording: the recommendations endpoint under gunicorn with recording off, then on
(ENCORE_IMPRESSIONS=buffered, the default), at 16 connections; then whether every list served was recorded.

Run it like bench_rules, on a database holding the demo catalog and a trained model:
    ENCORE_BENCHMARKS=1 VAR_DIR=/tmp/encore-api-bench python manage.py bench_impressions
Each gunicorn is stopped gracefully after its run, so its workers write what they still hold;
the lists recorded during the second run are then compared with the responses wrk counted: wrk
does not count requests still in flight when it stops, so up to one per connection more may be
recorded than counted. The client, its users and their events and lists are deleted at the end.
"""

import secrets

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from benchmarks import loadgen, tenants
from catalog.models import Item
from core.workspaces import default_workspace_id
from experiments.models import Impression
from recommendations.models import ModelVersion

TARGET_P99_MS, TARGET_KEPT = 50.0, 0.90  # p99 with recording; requests/s with recording over without


class Command(BaseCommand):
    help = "Load-test /api/v1/users/{user}/recommendations/ with impression recording off and on; count the lists."

    def add_arguments(self, parser):
        for name, default, what in (
            ("seconds", 10, "Seconds per run."), ("connections", 16, "wrk connections."),
            ("workers", 2, "gunicorn sync workers."), ("users", 50, "Partner users with a history to ask for."),
            ("rounds", 2, "Rounds of (off, on), alternated so that the host's drift hits both alike."),
        ):  # fmt: skip
            parser.add_argument(f"--{name}", type=int, default=default, help=f"{what} (default {default})")

    def handle(self, *args, seconds, connections, workers, users, rounds, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        workspace = default_workspace_id()
        if Item.objects.website().active().count() < 50:
            raise CommandError("load the demo catalog first: python manage.py bootstrap")
        if not ModelVersion.objects.active().filter(workspace_id=workspace).exists():
            self.stderr.write("No active model: recommendations will be popularity only (train one first).")
        client, key = tenants.website_client_create(name=f"bench-{secrets.token_hex(4)}")
        try:
            ids = tenants.people_seed(client=client, count=users)
            paths = [f"/api/v1/users/{u}/recommendations/?limit=20" for u in ids]
            headers = {"Authorization": f"Api-Key {key}"}
            for n in range(rounds):
                off = self._run("off", paths, headers, seconds, connections, workers)
                before = Impression.objects.filter(placement="api_recommendations").count()
                on = self._run("buffered", paths, headers, seconds, connections, workers)
                recorded = Impression.objects.filter(placement="api_recommendations").count() - before
                self.stdout.write(f"round {n + 1} of {rounds}")
                self._report(off, on, recorded, connections, workers)
        finally:
            Impression.objects.filter(user__api_identity__client=client).delete()
            tenants.client_delete(client)

    def _run(self, mode, paths, headers, seconds, connections, workers):
        """(warm-up, measured) load results of a gunicorn recording with `mode`, stopped gracefully after."""
        port = loadgen.free_port()
        base = f"http://127.0.0.1:{port}"
        env = loadgen.server_env(ENCORE_IMPRESSIONS=mode)
        server = loadgen.gunicorn_start(port=port, workers=workers, worker_class="sync", env=env)
        try:
            loadgen.wait_until_up(f"{base}/api/v1/health/")
            warm = loadgen.load(base=base, paths=paths, headers=headers, connections=connections, seconds=5)
            served = loadgen.load(base=base, paths=paths, headers=headers, connections=connections, seconds=seconds)
        finally:
            loadgen.process_group_stop(server)  # SIGTERM: workers finish, then write what they hold
        return warm, served

    def _report(self, off, on, recorded, connections, workers):
        write = self.stdout.write
        write(f"gunicorn: {workers} sync workers; load: {off[1].tool}, {connections} connections; "
              f"database: {connection.vendor}")  # fmt: skip
        for name, (_, served) in (("recording off", off), ("recording on", on)):
            write(f"{name:>16}: {served.requests_per_s:8.0f} req/s  p50 {served.p50_ms:6.1f} ms  "
                  f"p99 {served.p99_ms:6.1f} ms  errors {served.errors}")  # fmt: skip
        kept = on[1].requests_per_s / off[1].requests_per_s
        write(f"{'kept':>16}: {kept:.2f}x of the requests/s without recording (target >= {TARGET_KEPT}); "
              f"p99 target <= {TARGET_P99_MS:.0f} ms")  # fmt: skip
        counted = on[0].requests + on[1].requests
        ok_count = counted <= recorded <= counted + 2 * connections
        write(f"{'lists recorded':>16}: {recorded:,} for {counted:,} responses counted by wrk "
              f"(in flight at the two stops: at most {2 * connections} more)")  # fmt: skip
        ok = kept >= TARGET_KEPT and on[1].p99_ms <= TARGET_P99_MS and not on[1].errors and ok_count
        write(self.style.SUCCESS("all targets met") if ok else self.style.WARNING("some targets missed"))
