"""Model artifacts in storage: written with their size and SHA-256, checked whenever they are read back.

`version` is a ModelVersion, or any model with the same `artifact`, `artifact_size` and
`artifact_sha256` fields (the games' learning versions use these functions too).
"""

import hashlib
import io
import zipfile

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from recommendations.models import ModelVersion

CHUNK = 1 << 20


class ArtifactUnreadable(Exception):
    """The stored artifact is missing or is not the file that was written."""


def artifact_save(*, version: ModelVersion, content: bytes, name: str = "") -> None:
    """Store `content` as the version's artifact and record its size and checksum on `version` (not saved).

    name: where in storage (default models/model-<pk>.npz).
    """
    name = name or f"models/model-{version.pk}.npz"
    default_storage.delete(name)  # a retried run rewrites its own artifact
    version.artifact.name = default_storage.save(name, ContentFile(content))
    version.artifact_size, version.artifact_sha256 = len(content), hashlib.sha256(content).hexdigest()


def model_artifact_name(version: ModelVersion) -> str:
    """Where a model version's artifact goes: a folder per workspace, so no two workspaces share a file."""
    return f"models/{version.workspace.slug}/model-{version.pk}.npz"


def artifact_read(*, version: ModelVersion) -> bytes:
    """The artifact's bytes, verified against the recorded size and checksum; raises ArtifactUnreadable."""
    _require_artifact(version)
    try:
        with version.artifact.open("rb") as handle:
            content = handle.read()
    except OSError as exc:
        raise ArtifactUnreadable(f"cannot open {version.artifact.name}: {exc}") from exc
    _compare(version, len(content), hashlib.sha256(content).hexdigest())
    if not version.artifact_sha256 and not _zip_intact(io.BytesIO(content)):
        raise ArtifactUnreadable(f"{version.artifact.name} is not a complete .npz archive")
    return content


def artifact_problem(*, version: ModelVersion) -> str:
    """Empty when the artifact reads back as written, else why not. Reads in chunks: no copy in memory."""
    try:
        _require_artifact(version)
        digest, size = hashlib.sha256(), 0
        with version.artifact.open("rb") as handle:
            # Size first: a truncated file is told apart without hashing it.
            if version.artifact_size is not None and version.artifact.size != version.artifact_size:
                _compare(version, version.artifact.size, "")
            if not version.artifact_sha256:
                if not _zip_intact(handle):
                    raise ArtifactUnreadable(f"{version.artifact.name} is not a complete .npz archive")
                return ""
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        _compare(version, size, digest.hexdigest())
    except ArtifactUnreadable as exc:
        return str(exc)
    except OSError as exc:
        return f"cannot open {version.artifact.name}: {exc}"
    return ""


def _require_artifact(version: ModelVersion) -> None:
    if not version.artifact:
        raise ArtifactUnreadable(f"{version} has no artifact")
    if not version.artifact.storage.exists(version.artifact.name):
        raise ArtifactUnreadable(f"{version.artifact.name} is missing from storage")


def _compare(version: ModelVersion, size: int, sha256: str) -> None:
    # Versions written before checksums were recorded have neither: only the archive check applies to them.
    if version.artifact_size is not None and size != version.artifact_size:
        raise ArtifactUnreadable(f"{version.artifact.name} has {size} bytes, {version.artifact_size} were written")
    if version.artifact_sha256 and sha256 != version.artifact_sha256:
        raise ArtifactUnreadable(f"{version.artifact.name} does not match the checksum recorded when it was written")


def _zip_intact(handle) -> bool:
    try:
        with zipfile.ZipFile(handle) as archive:
            return archive.testzip() is None
    except (zipfile.BadZipFile, OSError, EOFError):
        return False
