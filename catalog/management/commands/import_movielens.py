from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.importers import FORMATS, import_movielens
from core.models import DEFAULT_SLUG
from core.workspaces import WorkspaceNotFound, workspace_get


class Command(BaseCommand):
    help = "Import a MovieLens dataset (ml-latest CSV layout or classic ml-100k). Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="Folder holding movies.csv + ratings.csv, or u.item + u.data")
        parser.add_argument("--format", choices=FORMATS, help="Layout of the folder (detected when omitted)")
        parser.add_argument("--batch-size", type=int, default=50_000)
        parser.add_argument("--max-errors-shown", type=int, default=50)
        parser.add_argument("--workspace", default=DEFAULT_SLUG, help="Slug of the workspace to import into")

    def handle(self, *args, path: Path, format: str | None, batch_size: int, max_errors_shown: int, **options):
        if not path.is_dir():
            raise CommandError(f"{path} is not a folder")
        try:
            workspace = workspace_get(options["workspace"])
        except WorkspaceNotFound as exc:
            raise CommandError(str(exc)) from exc
        progress = lambda m: self.stderr.write(m)  # noqa: E731
        try:
            report = import_movielens(path, fmt=format, batch_size=batch_size, progress=progress, workspace=workspace)
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        for error in report.errors[:max_errors_shown]:
            self.stderr.write(self.style.WARNING(f"skipped {error}"))
        if len(report.errors) > max_errors_shown:
            self.stderr.write(f"… and {len(report.errors) - max_errors_shown} more rejected rows")
        for line in report.summary_lines():
            self.stdout.write(line)
        seconds = sum(report.seconds.values())
        ratings = (
            report.created.get("ratings", 0) + report.updated.get("ratings", 0) + report.unchanged.get("ratings", 0)
        )
        rate = ratings / max(report.seconds.get("ratings", 0), 1e-9)
        self.stdout.write(self.style.SUCCESS(f"Imported {path} in {seconds:.1f}s ({rate:,.0f} ratings/s)"))
