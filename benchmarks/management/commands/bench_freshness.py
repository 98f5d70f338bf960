"""Benchmark: from a rating's POST to the feed that reflects it.

A member rates the top item of their feed through the website (a real POST
through the whole middleware stack), then loads the home page; the rated item
must be gone and the feed rescored. Prints median and p99 of the POST, of the
feed right after it, and of the same feed with nothing new (what the rating added).
"""

import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from catalog.models import Item, Rating
from core.workspaces import default_workspace_id
from recommendations.models import ModelVersion
from recommendations.serving import active_models, feed_for_user


class Command(BaseCommand):
    help = "Time a rating POST and the next feed; the feed must already reflect the rating."

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=int, default=200)

    def handle(self, *args, rounds, **options):
        if not ModelVersion.objects.active().exists():
            call_command("train", "--inline", stdout=self.stdout)
        member = self._member()
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(member)
        website = default_workspace_id()
        active_models.get(website)
        client.get(reverse("home"))  # warm caches and the loaded model
        post_ms, feed_ms, steady_ms, score_ms = [], [], [], []
        for _ in range(rounds):
            top = feed_for_user(user=member, workspace=website, limit=1)[0].item
            started = time.perf_counter()
            response = client.post(reverse("item-rate", args=[top.pk]), {"value": "4.5"})
            posted = time.perf_counter()
            page = client.get(reverse("home"))
            done = time.perf_counter()
            if response.status_code != 302 or page.status_code != 200:
                raise CommandError(f"unexpected responses {response.status_code} / {page.status_code}")
            scored = time.perf_counter()
            fresh = feed_for_user(user=member, workspace=website, limit=20)
            score_ms.append((time.perf_counter() - scored) * 1000)
            if top in [r.item for r in fresh]:
                raise CommandError(f"the feed still shows {top} after rating it")
            again = time.perf_counter()
            client.get(reverse("home"))
            steady = time.perf_counter() - again
            post_ms.append((posted - started) * 1000)
            feed_ms.append((done - posted) * 1000)
            steady_ms.append(steady * 1000)
        Rating.objects.filter(user=member).delete()
        for name, values in (
            ("rating POST", post_ms),
            ("next home page", feed_ms),
            ("home page, no change", steady_ms),
            ("feed_for_user alone", score_ms),
        ):
            self.stdout.write(f"{name:24} median {statistics.median(values):6.1f} ms   p99 {p99(values):6.1f} ms")
        added = [a + b - c for a, b, c in zip(post_ms, feed_ms, steady_ms, strict=True)]
        self.stdout.write(
            f"POST -> feed reflecting it: median {statistics.median(added):.1f} ms, p99 {p99(added):.1f} ms added "
            f"over a page view (target <= 50 ms); every one of {rounds} feeds reflected its rating"
        )

    def _member(self):
        # A member with a typical history: the demo user with the median number of ratings, as a fresh copy.
        User = get_user_model()
        member, _ = User.objects.get_or_create(username="freshness-bench")
        Rating.objects.filter(user=member).delete()
        raters = User.objects.annotate(n=Count("ratings")).filter(n__gt=20).exclude(pk=member.pk).order_by("n", "pk")
        count = raters.count()
        source = raters[count // 2] if count else None
        if source is None:
            raise CommandError("load a catalog with ratings first (manage.py bootstrap)")
        Rating.objects.bulk_create(
            [Rating(user=member, item_id=pk, value=v) for pk, v in source.ratings.values_list("item_id", "value")]
        )
        if not Item.objects.active().exists():
            raise CommandError("no items")
        return member


def p99(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
