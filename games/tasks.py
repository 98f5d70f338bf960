"""Celery tasks for games: thin shells around games.training."""

import logging

from celery import shared_task
from django.conf import settings

from config.celery import publish
from games.models import GameModelVersion
from games.training import TrainingAlreadyRunning, train_learning_version

log = logging.getLogger(__name__)


def train_learning_enqueue(*, slug: str, trigger: str) -> str:
    """Queue a training run and return its task id; raises QueueUnavailable with the broker's error within seconds."""
    return publish(train_learning, kwargs={"slug": slug, "trigger": trigger}).id


@shared_task(
    name="games.train_learning",
    soft_time_limit=settings.GAMES_TRAIN_TIME_LIMIT - 30,
    time_limit=settings.GAMES_TRAIN_TIME_LIMIT,
)
def train_learning(slug: str = "connect-four", trigger: str = GameModelVersion.Trigger.SCHEDULE) -> int | None:
    """Train and activate a new learning version; None when a run of that game is already in progress."""
    try:
        version = train_learning_version(slug=slug, trigger=trigger, task_id=train_learning.request.id or "")
    except TrainingAlreadyRunning as exc:
        log.info("game training request skipped: %s", exc)
        return None
    return version.pk
