"""Train a new model version of one workspace on the Celery workers (or here, with --inline)."""

import time

from django.core.management.base import BaseCommand, CommandError

from core.models import DEFAULT_SLUG
from core.workspaces import WorkspaceNotFound, workspace_get
from recommendations.models import ModelVersion
from recommendations.tasks import QueueUnavailable, train_model, train_model_enqueue, workers_alive
from recommendations.training import TrainingAlreadyRunning, train_model_version


class Command(BaseCommand):
    help = "Train a new recommendation model version of a workspace; --wait prints its metrics and timings."

    def add_arguments(self, parser):
        parser.add_argument(
            "--workspace", default=DEFAULT_SLUG, help=f"Slug of the workspace to train (default: {DEFAULT_SLUG})"
        )
        parser.add_argument("--force", action="store_true", help="Activate even if worse than the serving version")
        parser.add_argument("--wait", action="store_true", help="Wait for the run and print the result")
        parser.add_argument("--inline", action="store_true", help="Train in this process instead of on a worker")
        parser.add_argument(
            "--algorithm", default=None, help="Engine algorithm (default: the workspace's, else ENCORE_MODEL_ALGORITHM)"
        )
        parser.add_argument("--timeout", type=float, default=3600, help="Seconds --wait waits at most")

    def handle(self, *args, workspace, force, wait, inline, algorithm, timeout, **options):
        try:
            workspace = workspace_get(workspace)
        except WorkspaceNotFound as exc:
            raise CommandError(str(exc)) from None
        if inline:
            try:
                version = train_model_version(
                    workspace_id=workspace.pk, trigger=ModelVersion.Trigger.MANUAL, algorithm=algorithm, force=force
                )
            except TrainingAlreadyRunning as exc:
                raise CommandError(str(exc)) from None
            return self._report(version)
        try:
            if wait:
                self._require_worker()
            result = train_model_enqueue(
                workspace_id=workspace.pk, trigger=ModelVersion.Trigger.MANUAL, force=force, algorithm=algorithm,
                result=wait,
            )  # fmt: skip
        except QueueUnavailable as exc:
            raise CommandError(f"{exc}. Start the services, or use --inline to train in this process.") from None
        self.stdout.write(f"Training of workspace {workspace} queued (task {result.id}).")
        if wait:
            self._report(self._wait(result, timeout, workspace))

    def _require_worker(self):
        # Without a worker the run would never start and --wait would sit out its whole timeout.
        if train_model.app.conf.task_always_eager or workers_alive():
            return
        raise CommandError(
            "No Celery worker is running, so nothing would train. Start one with `make run` "
            "(or `celery -A config worker`), or use --inline to train in this process."
        )

    def _wait(self, result, timeout, workspace) -> ModelVersion:
        deadline = time.monotonic() + timeout
        version_id = result.get(timeout=timeout)
        if version_id is None:
            running = ModelVersion.objects.training().filter(workspace=workspace).first()
            raise CommandError(f"Not started: a training run of {workspace} is already in progress ({running}).")
        self.stdout.write(f"Training v{version_id} …")
        while time.monotonic() < deadline:
            version = ModelVersion.objects.get(pk=version_id)
            if version.status != ModelVersion.Status.TRAINING:
                return version
            time.sleep(0.5)
        raise CommandError(f"v{version_id} is still training after {timeout:.0f} s")

    def _report(self, version: ModelVersion):
        style = {ModelVersion.Status.ACTIVE: self.style.SUCCESS, ModelVersion.Status.FAILED: self.style.ERROR}
        self.stdout.write(style.get(version.status, self.style.WARNING)(f"{version}"))
        self.stdout.write(
            f"  data: {version.n_users} users, {version.n_items} items, {version.n_interactions} interactions"
        )
        if version.metrics:
            self.stdout.write("  metrics: " + ", ".join(f"{k}={v:.4f}" for k, v in version.metrics.items()))
        if version.timings:
            self.stdout.write(
                "  timings: "
                + ", ".join(f"{k} {v:.2f}s" for k, v in version.timings.items())
                + f" (total {version.total_seconds:.2f}s)"
            )
        for text in (version.note, version.error):
            if text:
                self.stdout.write(f"  {text}")
        if version.status == ModelVersion.Status.FAILED:
            raise CommandError("training failed")
