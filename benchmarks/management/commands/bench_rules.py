"""Benchmark merchandising rules: the recommendations endpoint under gunicorn without rules, then with 100
active boost rules, at 16 connections; and the cost of building one list (the uncached path) in process.

Run it like bench_api, on a database holding the demo catalog and a trained model:
    ENCORE_BENCHMARKS=1 VAR_DIR=/tmp/encore-api-bench python manage.py bench_rules
It serves the website's workspace, `default`. Everything it creates (a client, its users and
their events, the rules) is deleted at the end.
"""

import random
import secrets
import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from api.models import ClientUser
from benchmarks import loadgen, tenants
from catalog.models import Genre, Item, Tag
from core.workspaces import default_workspace_id
from recommendations.models import ModelVersion, Rule
from recommendations.rules import CHECK_SECONDS, rule_save
from recommendations.serving import feed_for_user

TARGET_P99_MS, TARGET_KEPT = 50.0, 0.85  # p99 with rules; requests/s with rules over without


class Command(BaseCommand):
    help = "Load-test /api/v1/users/{user}/recommendations/ under gunicorn without and with 100 boost rules."

    def add_arguments(self, parser):
        for name, default, what in (
            ("seconds", 10, "Seconds per run."), ("connections", 16, "wrk connections."),
            ("workers", 2, "gunicorn sync workers."), ("users", 50, "Partner users with a history to ask for."),
            ("rules", 100, "Active boost rules in the second run."),
        ):  # fmt: skip
            parser.add_argument(f"--{name}", type=int, default=default, help=f"{what} (default {default})")

    def handle(self, *args, seconds, connections, workers, users, **options):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        workspace = default_workspace_id()
        if Item.objects.website().active().count() < 50:
            raise CommandError("load the demo catalog first: python manage.py bootstrap")
        if not ModelVersion.objects.active().filter(workspace_id=workspace).exists():
            self.stderr.write("No active model: recommendations will be popularity only (train one first).")
        if Rule.objects.filter(workspace_id=workspace).exists():
            raise CommandError("the website's workspace has rules already: the first run would not be rule-free")
        client, key = tenants.website_client_create(name=f"bench-{secrets.token_hex(4)}")
        server, created = None, []
        try:
            ids = tenants.people_seed(client=client, count=users)
            port = loadgen.free_port()
            base = f"http://127.0.0.1:{port}"
            server = loadgen.gunicorn_start(port=port, workers=workers, worker_class="sync", env=loadgen.server_env())
            loadgen.wait_until_up(f"{base}/api/v1/health/")
            paths = [f"/api/v1/users/{u}/recommendations/?limit=20" for u in ids]
            user_ids = ClientUser.objects.filter(client=client).values_list("user_id", flat=True)
            people = [get_user_model()(pk=pk) for pk in user_ids]

            def measure():
                headers = {"Authorization": f"Api-Key {key}"}
                loadgen.load(base=base, paths=paths, headers=headers, connections=connections, seconds=5)  # warm-up
                served = loadgen.load(base=base, paths=paths, headers=headers, connections=connections, seconds=seconds)
                return served, _build_ms(people, workspace)

            plain = measure()
            created = _boost_rules(workspace, options["rules"])
            time.sleep(CHECK_SECONDS + 1)  # every worker has seen them
            ruled = measure()
            self._report(plain, ruled, len(created), connections, workers)
        finally:
            loadgen.process_group_stop(server)
            Rule.objects.filter(pk__in=[r.pk for r in created]).delete()
            tenants.client_delete(client)

    def _report(self, plain, ruled, count, connections, workers):
        write = self.stdout.write
        write(f"gunicorn: {workers} sync workers; load: {plain[0].tool}, {connections} connections; "
              f"database: {connection.vendor}")  # fmt: skip
        for name, (served, build) in (("no rules", plain), (f"{count} boost rules", ruled)):
            write(f"{name:>16}: {served.requests_per_s:8.0f} req/s  p50 {served.p50_ms:6.1f} ms  "
                  f"p99 {served.p99_ms:6.1f} ms  errors {served.errors}  one list built {build:5.1f} ms")  # fmt: skip
        kept = ruled[0].requests_per_s / plain[0].requests_per_s
        write(f"{'kept':>16}: {kept:.2f}x of the rule-free req/s (target >= {TARGET_KEPT}); "
              f"p99 target <= {TARGET_P99_MS:.0f} ms")  # fmt: skip
        ok = kept >= TARGET_KEPT and ruled[0].p99_ms <= TARGET_P99_MS and not ruled[0].errors
        write(self.style.SUCCESS("all targets met") if ok else self.style.WARNING("some targets missed"))


def _boost_rules(workspace: int, count: int) -> list[Rule]:
    """`count` active boost rules for every list, on the workspace's genres, tags, items, kinds and years."""
    rng = random.Random(11)
    genres = list(Genre.objects.filter(workspace_id=workspace)[:50])
    tags = list(Tag.objects.filter(workspace_id=workspace)[:50])
    items = list(Item.objects.website().active().order_by("-rating_count")[:500])
    targets = [
        *({"target": "genre", "genre": g} for g in genres), *({"target": "tag", "tag": t} for t in tags),
        *({"target": "item", "item": i} for i in items), {"target": "kind", "kind": Item.Kind.MOVIE},
        *({"target": "year_range", "year_min": y, "year_max": y + 9} for y in range(1950, 2030, 10)),
    ]  # fmt: skip
    created = []
    for n in range(count):
        rule = Rule(workspace_id=workspace, name=f"bench boost {n}", action="boost",
                    weight=rng.choice([1.2, 1.5, 2.0, 3.0]), **rng.choice(targets))  # fmt: skip
        rule_save(rule)
        created.append(rule)
    return created


def _build_ms(people, workspace: int) -> float:
    """Median time to build one person's list of 20 in this process, the feed cache left aside."""
    feed_for_user(user=people[0], workspace=workspace, limit=20)  # the model is loaded, the rules compiled
    times = []
    for person in people:
        started = time.perf_counter()
        feed_for_user(user=person, workspace=workspace, limit=20, placement=Rule.Placement.API_RECOMMENDATIONS)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)
