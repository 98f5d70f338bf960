"""Periodic retraining of each game's learning controller, stored with django-celery-beat (editable in the admin)."""

from django.conf import settings

from core.schedules import periodic_tasks_ensure
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
    return periodic_tasks_ensure(specs=default_schedules())
