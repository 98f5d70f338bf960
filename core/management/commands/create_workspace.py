from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.workspaces import workspace_create


class Command(BaseCommand):
    help = "Create a workspace: a tenant with its own catalog, people, events and models."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="Lowercase letters, digits and hyphens, e.g. acme.")
        parser.add_argument("--name", default="", help="A display name (default: the slug).")

    def handle(self, slug, name, **options):
        try:
            workspace = workspace_create(slug=slug, name=name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"Created workspace {workspace.slug!r} ({workspace.name}). Next: "
            f"manage.py create_api_client NAME --workspace {workspace.slug} --scopes read,write"
        )
