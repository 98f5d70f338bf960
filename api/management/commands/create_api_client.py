from django.core.management.base import BaseCommand, CommandError

from api.models import ApiClient
from core.models import DEFAULT_SLUG
from core.workspaces import WorkspaceNotFound, workspace_get


class Command(BaseCommand):
    help = "Create an API client of one workspace and print its key once (only a hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument(
            "--workspace", default=DEFAULT_SLUG, help=f"Slug of the only workspace it sees (default: {DEFAULT_SLUG})."
        )
        parser.add_argument("--scopes", default="read", help="Comma-separated: read, write, rules (default: read).")
        parser.add_argument("--throttle-rate", default="", help="e.g. 600/min; default: API_THROTTLE_RATE.")

    def handle(self, name, scopes, throttle_rate, workspace, **options):
        wanted = [s.strip() for s in scopes.split(",") if s.strip()]
        unknown = set(wanted) - set(ApiClient.Scope.values)
        if unknown or not wanted:
            raise CommandError(f"--scopes takes {', '.join(ApiClient.Scope.values)}; got {scopes!r}")
        try:
            tenant = workspace_get(workspace)
        except WorkspaceNotFound as exc:
            raise CommandError(str(exc)) from exc
        client = ApiClient(workspace=tenant, name=name, scopes=sorted(set(wanted)), throttle_rate=throttle_rate)
        key = client.set_new_key()
        client.save()
        self.stderr.write(
            f"Created API client {client.name!r} (id {client.pk}) of workspace {tenant.slug!r}, "
            f"scopes {', '.join(client.scopes)}."
        )
        self.stderr.write("The key is shown once; store it now:")
        self.stdout.write(key)
