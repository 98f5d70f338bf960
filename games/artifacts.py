"""Learning artifacts in Django's storage, written with their size and SHA-256 and checked when read back."""

from __future__ import annotations

import hashlib

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from games.engine.learning import InvalidArtifact, weights_from_bytes, weights_to_bytes
from games.models import GameModelVersion


def artifact_save(*, version: GameModelVersion, weights: np.ndarray) -> None:
    """Store the weights as the version's artifact and record its size and checksum on `version` (not saved)."""
    content = weights_to_bytes(weights)
    name = f"games/{version.game.slug}-{version.pk}.npz"
    default_storage.delete(name)  # a retried run rewrites its own artifact
    version.artifact.name = default_storage.save(name, ContentFile(content))
    version.artifact_size, version.artifact_sha256 = len(content), hashlib.sha256(content).hexdigest()


def artifact_weights(*, version: GameModelVersion) -> np.ndarray:
    """The version's weights; raises InvalidArtifact when the file is missing, damaged or not what was written."""
    if not version.artifact:
        raise InvalidArtifact(f"{version} has no artifact")
    try:
        with default_storage.open(version.artifact.name, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise InvalidArtifact(f"cannot open {version.artifact.name}: {exc}") from exc
    if version.artifact_size is not None and len(data) != version.artifact_size:
        raise InvalidArtifact(f"{version.artifact.name} has {len(data)} bytes, {version.artifact_size} were written")
    if version.artifact_sha256 and hashlib.sha256(data).hexdigest() != version.artifact_sha256:
        raise InvalidArtifact(f"{version.artifact.name} does not match the checksum recorded when it was written")
    return weights_from_bytes(data)
