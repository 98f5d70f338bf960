"""Benchmark: import the demo catalog into an empty database, then train the first model."""

import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from catalog.importers import import_movielens
from catalog.models import Rating


class Command(BaseCommand):
    help = "Import the demo catalog into an EMPTY database and print ratings/s and the first training time."

    def add_arguments(self, parser):
        parser.add_argument("--no-train", action="store_true")

    def handle(self, *args, no_train: bool, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if Rating.objects.exists():
            raise CommandError("the database already holds ratings; point DATABASE_URL/VAR_DIR at an empty one")
        started = time.perf_counter()
        report = import_movielens(settings.ENCORE_DEMO_DATA)
        total = time.perf_counter() - started
        ratings = report.created.get("ratings", 0)
        self.stdout.write(f"database: {connection.vendor}")
        self.stdout.write(f"import: {ratings:,} ratings in {report.seconds['ratings']:.2f}s "
                          f"= {ratings / report.seconds['ratings']:,.0f} ratings/s "
                          f"(whole catalog with items, tags and users: {total:.2f}s)")  # fmt: skip
        started = time.perf_counter()
        import_movielens(settings.ENCORE_DEMO_DATA)
        self.stdout.write(f"second import (nothing to change): {time.perf_counter() - started:.2f}s")
        if not no_train:
            from recommendations.training import train_model_version

            version = train_model_version()
            timings = ", ".join(f"{k} {v:.2f}s" for k, v in version.timings.items())
            self.stdout.write(f"first training: {sum(version.timings.values()):.2f}s ({timings}); {version.metrics}")
