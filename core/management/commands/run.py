"""Run the whole platform in one terminal: web server, Celery worker and beat.

Ctrl-C, `kill` or closing the terminal stops every process this command
started, within seconds even while a model trains. Each child runs in its own
process group, so nothing it started (Celery pool processes, gunicorn
workers) outlives it.
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from core.workspaces import default_workspace_id
from recommendations.models import ModelVersion


class Command(BaseCommand):
    help = "Bootstrap the database, then serve the site with a Celery worker and beat beside it."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=settings.ENCORE_BIND)
        parser.add_argument("--web-workers", type=int, default=2)

    def handle(self, *args, bind: str, web_workers: int, **options):
        call_command("bootstrap")
        python = sys.executable
        worker = [python, "-m", "celery", "-A", "config", "worker", "-B", "-l", "info", "--concurrency", "2"]
        web = [
            python, "-m", "gunicorn", "config.wsgi", "--bind", bind, "--workers", str(web_workers),
            "--threads", "4", "--access-logfile", "-",
        ]  # fmt: skip
        # SIGINT too: a process started in the background by a shell inherits SIGINT ignored, and
        # Python then never turns Ctrl-C (or `kill -INT`) into KeyboardInterrupt.
        for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(stop_signal, _interrupt)
        processes = []
        try:
            # Celery's cold shutdown (SIGQUIT) does not wait for a running training; the task is
            # marked failed and `run` trains again at its next start. gunicorn stops quickly on SIGTERM.
            for command, stop_signal in ((worker, signal.SIGQUIT), (web, signal.SIGTERM)):
                processes.append((subprocess.Popen(command, start_new_session=True), stop_signal))
            self._train_first_model()
            self.stdout.write(self.style.SUCCESS(f"Encore is serving on http://{bind}/ — Ctrl-C stops everything."))
            while all(process.poll() is None for process, _ in processes):
                time.sleep(0.5)
            self.stderr.write("A process stopped unexpectedly; stopping the others.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping …")
        finally:
            _stop(processes)

    def _train_first_model(self):
        # The website's workspace; the dispatcher trains the others (and this one, once its data changes).
        website = default_workspace_id()
        if ModelVersion.objects.active().filter(workspace_id=website).exists():
            return
        from recommendations.tasks import train_model

        result = train_model.delay(ModelVersion.Trigger.BOOTSTRAP, workspace_id=website)
        self.stdout.write(f"Training the first model on the Celery worker (task {result.id}) …")

        def report():
            try:
                version_id = result.get(timeout=30 * 60)
                # None: a run the dispatcher queued got there first; follow that one.
                versions = ModelVersion.objects.filter(workspace_id=website)
                version = versions.get(pk=version_id) if version_id else versions.latest("created_at")
                # A sharded run goes on in other tasks after this one returns: follow its status.
                while version.status == ModelVersion.Status.TRAINING:
                    time.sleep(1)
                    version.refresh_from_db()
                self.stdout.write(self.style.SUCCESS(f"Model {version} is serving: {version.metrics}"))
            except Exception as exc:  # noqa: BLE001 - only a message for the terminal
                self.stderr.write(f"The first training did not finish: {exc}")

        threading.Thread(target=report, daemon=True).start()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop(processes):
    """Each child's own stop signal, then SIGKILL to whatever is left of its process group."""
    for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
    for process, stop_signal in processes:
        if process.poll() is None:
            process.send_signal(stop_signal)
    deadline = time.monotonic() + 15
    for process, _ in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # pool processes or workers their parent left behind
        process.wait()
