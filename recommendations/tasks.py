"""Celery tasks: thin shells around the training and serving services."""

from celery import shared_task

from recommendations.models import ModelVersion
from recommendations.training import train_model_version


@shared_task(name="recommendations.train_model", ignore_result=False)
def train_model(trigger: str = ModelVersion.Trigger.SCHEDULE) -> int:
    """Train and activate a new model version; returns its id."""
    return train_model_version(trigger=trigger).pk
