"""Default celery beat schedules, stored with django-celery-beat so staff can edit them in the admin.

Training has one schedule for every workspace: the dispatcher runs every minute and
queues a run for each workspace whose data changed and whose own retraining period
(`Workspace.retrain_minutes`, else ENCORE_RETRAIN_MINUTES) has passed.
"""

from django.conf import settings
from django_celery_beat.models import PeriodicTask

from core.schedules import periodic_tasks_ensure

DISPATCH_MINUTES = 1  # how often the dispatcher looks for workspaces to train (each has its own period)
# The schedule the dispatcher replaces: it retrained the one model every ENCORE_RETRAIN_MINUTES.
REPLACED = [{"name": "Retrain the recommendation model", "task": "recommendations.train_model"}]


def default_schedules() -> list[dict]:
    return [
        {
            "name": "Train the workspaces whose data changed",
            "task": "recommendations.dispatch_training",
            "every": DISPATCH_MINUTES,
            "kwargs": {},
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
    """Create the schedules that do not exist yet; never overwrite what staff changed. Returns those created.

    The schedule the dispatcher replaced goes: left in place, it would train the `default`
    workspace on a clock of its own besides the dispatcher's runs.
    """
    for replaced in REPLACED:
        PeriodicTask.objects.filter(**replaced).delete()
    return periodic_tasks_ensure(specs=default_schedules())
