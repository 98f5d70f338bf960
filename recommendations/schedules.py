"""Default celery beat schedules, stored with django-celery-beat so staff can edit them in the admin."""

import json

from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from recommendations.models import ModelVersion


def default_schedules() -> list[dict]:
    return [
        {
            "name": "Retrain the recommendation model",
            "task": "recommendations.train_model",
            "every": settings.ENCORE_RETRAIN_MINUTES,
            "kwargs": {"trigger": ModelVersion.Trigger.SCHEDULE},
        },
        {
            "name": "Refresh trending items",
            "task": "recommendations.refresh_trending",
            "every": settings.ENCORE_TRENDING_REFRESH_MINUTES,
            "kwargs": {},
        },  # fmt: skip
        {
            "name": "Mark dead training runs as failed",
            "task": "recommendations.reap_training_runs",
            "every": 5,
            "kwargs": {},
        },  # fmt: skip
    ]


def default_schedules_ensure() -> list[str]:
    """Create the schedules that do not exist yet; never overwrite what staff changed. Returns those created."""
    created = []
    for spec in default_schedules():
        if PeriodicTask.objects.filter(name=spec["name"]).exists():
            continue
        interval, _ = IntervalSchedule.objects.get_or_create(every=spec["every"], period=IntervalSchedule.MINUTES)
        PeriodicTask.objects.create(
            name=spec["name"], task=spec["task"], interval=interval, kwargs=json.dumps(spec["kwargs"]),
            # A tick that could not run (worker busy or down) is dropped, not piled up.
            expires=None, one_off=False, enabled=True,
        )  # fmt: skip
        created.append(spec["name"])
    return created
