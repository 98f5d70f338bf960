"""Default beat schedules of online evaluation, stored with django-celery-beat (staff edit them in the admin)."""

from core.schedules import periodic_tasks_ensure


def default_schedules() -> list[dict]:
    return [
        {"name": "Credit actions to the lists that showed them", "task": "experiments.attribute", "every": 1,
         "kwargs": {}},
        {"name": "Roll old impressions up into daily stats", "task": "experiments.roll_up", "every": 60 * 6,
         "kwargs": {}},
    ]  # fmt: skip


def default_schedules_ensure() -> list[str]:
    return periodic_tasks_ensure(specs=default_schedules())
