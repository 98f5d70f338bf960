import pytest
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from config.celery import app
from core.schedules import periodic_tasks_ensure

pytestmark = pytest.mark.django_db


def test_a_tick_no_worker_started_expires_when_the_next_is_due():
    periodic_tasks_ensure(specs=[{"name": "Refresh", "task": "recommendations.refresh_trending", "every": 15,
                                  "kwargs": {}}])  # fmt: skip

    entry = ModelEntry(PeriodicTask.objects.get(name="Refresh"), app=app)

    # What beat sends with each message: a queue full of missed ticks drains to one run.
    assert entry.options["expires"] == 15 * 60
