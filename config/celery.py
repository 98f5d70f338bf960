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
