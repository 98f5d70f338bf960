"""The Celery application: broker and options come from Django settings (CELERY_*)."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("encore")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_TRANSPORT_FOLDERS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


@app.on_after_configure.connect
def filesystem_folders_ensure(sender, source, **kwargs):
    """The embedded broker's and result backend's folders, made when a worker, beat or a process
    sending a task first reads the configuration: kombu and Celery expect them to exist."""
    folders = []
    if str(source.broker_url).startswith("filesystem://"):
        options = source.broker_transport_options or {}
        folders += [options[key] for key in _TRANSPORT_FOLDERS if options.get(key)]
    if str(source.result_backend or "").startswith("file://"):
        folders.append(source.result_backend.removeprefix("file://"))
    for folder in folders:
        Path(folder).mkdir(parents=True, exist_ok=True)


BROKER_TIMEOUT_SECONDS = 2.0  # a page or a command sending a task waits no longer than this for the broker


class QueueUnavailable(Exception):
    """The task queue could not take a message; the text is the broker's own error."""


def publish(task, *, kwargs: dict, keep_result: bool = False):
    """Send `task` now, or raise QueueUnavailable within seconds.

    The connection is checked once with a short timeout and the message is sent
    without retries, so a broker that is down fails the caller at once instead of
    holding a web worker through Celery's reconnection policy. keep_result: store
    the return value for the caller to wait on; otherwise nothing touches the
    result store (which has a reconnection loop of its own).
    """
    if task.app.conf.task_always_eager:
        return task.apply_async(kwargs=kwargs)  # one-process setups: no broker to reach
    try:
        with task.app.connection_for_write(connect_timeout=BROKER_TIMEOUT_SECONDS) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
            return task.apply_async(kwargs=kwargs, connection=connection, retry=False, ignore_result=not keep_result)
    except Exception as exc:
        raise QueueUnavailable(f"cannot reach the task queue: {exc or type(exc).__name__}") from exc
