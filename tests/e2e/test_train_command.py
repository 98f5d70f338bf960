import time

import pytest
from django.core.management import call_command

from config.celery import app
from recommendations.models import ModelVersion
from recommendations.tasks import workers_alive
from tests.catalog_builders import build_tiny_catalog
from tests.e2e.workers import celery_workers

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_train_wait_finds_a_live_worker_and_prints_the_trained_version(media_root, capsys):
    build_tiny_catalog()
    app.control.purge()

    with celery_workers(1):
        deadline = time.monotonic() + 60
        while not workers_alive() and time.monotonic() < deadline:
            pass  # each ping waits its own timeout: no sleep needed
        call_command("train", "--wait", "--algorithm", "popularity", "--timeout", "120")

    out = capsys.readouterr().out
    assert "Training of workspace default queued" in out and "popularity (Active)" in out
    assert ModelVersion.objects.get().status == ModelVersion.Status.ACTIVE
