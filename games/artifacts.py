"""Learning artifacts, stored and checked as the recommender's are (size and SHA-256 recorded, verified on read)."""

from __future__ import annotations

import numpy as np

from games.engine.learning import InvalidArtifact, weights_from_bytes, weights_to_bytes
from games.models import GameModelVersion
from recommendations.training import artifacts


def artifact_save(*, version: GameModelVersion, weights: np.ndarray) -> None:
    """Store the weights as the version's artifact and record its size and checksum on `version` (not saved)."""
    name = f"games/{version.game.slug}-{version.pk}.npz"
    artifacts.artifact_save(version=version, content=weights_to_bytes(weights), name=name)


def artifact_weights(*, version: GameModelVersion) -> np.ndarray:
    """The version's weights; raises InvalidArtifact when the file is missing, damaged or not what was written."""
    try:
        content = artifacts.artifact_read(version=version)
    except artifacts.ArtifactUnreadable as exc:
        raise InvalidArtifact(str(exc)) from exc
    return weights_from_bytes(content)
