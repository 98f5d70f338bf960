"""Training: database -> matrices -> engine -> artifact -> activation (the one ORM/scipy boundary)."""

from recommendations.training.extract import TrainingData, item_texts_for, training_data_extract
from recommendations.training.lifecycle import (
    TrainingAlreadyRunning,
    model_version_activate,
    model_version_rollback,
    model_versions_retire,
    quality_guard,
    training_runs_reap,
)
from recommendations.training.pipeline import train_model_version

__all__ = [
    "TrainingAlreadyRunning",
    "TrainingData",
    "item_texts_for",
    "model_version_activate",
    "model_version_rollback",
    "model_versions_retire",
    "quality_guard",
    "train_model_version",
    "training_data_extract",
    "training_runs_reap",
]
