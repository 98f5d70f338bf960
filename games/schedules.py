"""Periodic retraining of each game's learning controller, stored with django-celery-beat (editable in the admin)."""

import json

from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from games.models import GameModelVersion
from games.registry import GAMES


def default_schedules() -> list[dict]:
    return [
        {
            "name": f"Retrain the {spec.name} learning controller",
            "task": "games.train_learning",
            "every": settings.GAMES_RETRAIN_MINUTES,
            "kwargs": {"slug": slug, "trigger": GameModelVersion.Trigger.SCHEDULE},
        }
        for slug, spec in GAMES.items()
    ]


def default_schedules_ensure() -> list[str]:
    """Create the schedules that do not exist yet; never overwrite what staff changed. Returns those created."""
    created = []
    for spec in default_schedules():
        if PeriodicTask.objects.filter(name=spec["name"]).exists():
            continue
        interval, _ = IntervalSchedule.objects.get_or_create(every=spec["every"], period=IntervalSchedule.MINUTES)
        PeriodicTask.objects.create(
            name=spec["name"], task=spec["task"], interval=interval, kwargs=json.dumps(spec["kwargs"]), enabled=True
        )
        created.append(spec["name"])
    return created
