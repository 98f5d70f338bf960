import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from catalog.importers import import_movielens
from catalog.models import Item


class Command(BaseCommand):
    help = "Prepare a database to serve: migrate, load the demo catalog once, create the staff account."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo catalog")

    def handle(self, *args, no_demo: bool, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database is up to date.")
        if not no_demo:
            self._load_demo_catalog()
        self._ensure_staff_account()
        self._ensure_schedules()

    def _load_demo_catalog(self):
        if Item.objects.filter(source="movielens").exists():
            self.stdout.write("Demo catalog already loaded.")
            return
        self.stdout.write(f"Loading the demo catalog from {settings.ENCORE_DEMO_DATA} …")
        report = import_movielens(settings.ENCORE_DEMO_DATA, progress=lambda m: self.stdout.write(f"  {m}"))
        for line in report.summary_lines():
            self.stdout.write(f"  {line}")
        self.stdout.write(
            f"Demo users (demo1, demo2, … one per person in the dataset) can log in with the password "
            f"{settings.ENCORE_DEMO_PASSWORD!r}."
        )

    def _ensure_staff_account(self):
        User = get_user_model()
        username = settings.ENCORE_ADMIN_USERNAME
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"Staff account {username!r} exists.")
            return
        password = settings.ENCORE_ADMIN_PASSWORD or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        shown = password if not settings.ENCORE_ADMIN_PASSWORD else "(from ENCORE_ADMIN_PASSWORD)"
        self.stdout.write(self.style.SUCCESS(f"Created staff account {username!r} with password {shown}"))
        self.stdout.write("This password is shown once; change it in the admin.")

    def _ensure_schedules(self):
        from experiments.schedules import default_schedules_ensure as experiment_schedules_ensure
        from games.schedules import default_schedules_ensure as game_schedules_ensure
        from games.services import games_ensure
        from recommendations.schedules import default_schedules_ensure

        for name in default_schedules_ensure() + game_schedules_ensure() + experiment_schedules_ensure():
            self.stdout.write(f"Scheduled: {name} (edit it in the admin under Periodic tasks).")
        # Each game is also a catalog item, so it can be rated and recommended from the start.
        games_ensure()
