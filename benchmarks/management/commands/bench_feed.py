"""Benchmark: server time of the home feed, as members and visitors see it."""

import statistics
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = "Time GET / (the home feed) through Django's full request stack; prints p50/p95/max in milliseconds."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=200, help="Timed requests (default 200)")
        parser.add_argument("--users", type=int, default=8, help="Members to spread them over (default 8)")
        parser.add_argument("--warmup", type=int, default=10, help="Untimed requests first (model load, caches)")
        parser.add_argument("--anonymous", action="store_true", help="Time the visitors' page instead")
        parser.add_argument(
            "--cold", action="store_true", help="Empty the cache before every request: every feed is computed afresh"
        )

    def handle(self, *args, requests: int, users: int, warmup: int, anonymous: bool, cold: bool, **options):
        clients = [self._client()] if anonymous else [self._client(user) for user in self._members(users)]
        for i in range(warmup):
            clients[i % len(clients)].get("/")
        timings, queries = [], []
        for i in range(requests):
            client = clients[i % len(clients)]
            if cold:
                cache.clear()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get("/")
                timings.append((time.perf_counter() - started) * 1000)
            queries.append(len(captured))
            if response.status_code != 200:
                raise CommandError(f"GET / answered {response.status_code}")
        reset_queries()
        who = ("visitors" if anonymous else f"{len(clients)} members") + (", cache emptied each time" if cold else "")
        self.stdout.write(
            f"home feed, {requests} requests as {who}: p50 {statistics.median(timings):.1f} ms, "
            f"p95 {percentile(timings, 95):.1f} ms, max {max(timings):.1f} ms, "
            f"{statistics.mean(queries):.0f} queries per request"
        )

    def _members(self, count: int):
        """Members with a history, from light to heavy, so the figure covers both."""
        members = list(
            get_user_model()
            .objects.annotate(n=Count("ratings"))
            .filter(n__gt=0, is_active=True)
            .order_by("n", "pk")
            .values_list("pk", flat=True)
        )
        if not members:
            raise CommandError("No member has rated anything: load the demo catalog first (manage.py bootstrap).")
        step = max(1, len(members) // count)
        picked = members[::step][:count]
        return list(get_user_model().objects.filter(pk__in=picked))

    def _client(self, user=None) -> Client:
        hosts = [h for h in settings.ALLOWED_HOSTS if h not in ("*",) and not h.startswith(".")]
        client = Client(HTTP_HOST=hosts[0] if hosts else "localhost", secure=settings.SECURE_SSL_REDIRECT)
        if user is not None:
            client.force_login(user)
        return client
