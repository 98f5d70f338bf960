"""Training: database -> matrices -> engine -> artifact -> activation (the one ORM/scipy boundary)."""

from recommendations.training.artifacts import ArtifactUnreadable, artifact_problem, artifact_read
from recommendations.training.extract import TrainingData, item_texts_for, training_data_extract
from recommendations.training.lifecycle import (
    TrainingAlreadyRunning,
    model_version_activate,
    model_version_mark_broken,
    model_version_rollback,
    model_versions_retire,
    quality_guard,
    training_runs_reap,
)
from recommendations.training.run import train_model_version

__all__ = [
    "ArtifactUnreadable",
    "TrainingAlreadyRunning",
    "TrainingData",
    "artifact_problem",
    "artifact_read",
    "item_texts_for",
    "model_version_activate",
    "model_version_mark_broken",
    "model_version_rollback",
    "model_versions_retire",
    "quality_guard",
    "train_model_version",
    "training_data_extract",
    "training_runs_reap",
]
