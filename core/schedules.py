"""Periodic tasks stored with django-celery-beat, so staff can edit them in the admin."""

import json

from django_celery_beat.models import IntervalSchedule, PeriodicTask


def periodic_tasks_ensure(*, specs: list[dict]) -> list[str]:
    """Create the schedules in `specs` ({name, task, every (minutes), kwargs}) that do not exist yet;
    never overwrite what staff changed. Returns the names of those created."""
    created = []
    for spec in specs:
        if PeriodicTask.objects.filter(name=spec["name"]).exists():
            continue
        interval, _ = IntervalSchedule.objects.get_or_create(every=spec["every"], period=IntervalSchedule.MINUTES)
        PeriodicTask.objects.create(
            name=spec["name"], task=spec["task"], interval=interval, kwargs=json.dumps(spec["kwargs"]),
            # A tick no worker started before the next one is due (workers busy or down) expires in the
            # queue: workers coming back run one of them, not one per missed interval.
            expire_seconds=spec["every"] * 60, one_off=False, enabled=True,
        )  # fmt: skip
        created.append(spec["name"])
    return created
