"""Default celery beat schedules, stored with django-celery-beat so staff can edit them in the admin."""

from django.conf import settings

from core.schedules import periodic_tasks_ensure
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
    return periodic_tasks_ensure(specs=default_schedules())
