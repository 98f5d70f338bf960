"""A version's life: single-flight start, heartbeat, failure, quality guard, activation, rollback, retention.

Everything here is per workspace: a run, the version it competes with, the one that
takes over from a broken artifact, what a roll-back restores and what retention keeps
are always of the version's own workspace; no step reads or changes another's versions.
"""

import logging
import os
import socket
import threading
from contextlib import contextmanager

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from core.models import Workspace
from core.workspaces import default_workspace_id
from experiments.models import Experiment, Variant
from recommendations.models import ModelVersion
from recommendations.sharding import shard_files_delete
from recommendations.training.artifacts import artifact_problem

log = logging.getLogger(__name__)


class TrainingAlreadyRunning(Exception):
    def __init__(self, running: ModelVersion | None):
        self.running = running
        super().__init__(
            f"a training run is already in progress: {running}" if running else "a training run is in progress"
        )


def training_run_start(
    *, algorithm: str, trigger: str, force: bool = False, task_id: str = "", workspace_id: int | None = None
) -> ModelVersion:
    """Create the version in status training, or raise TrainingAlreadyRunning.

    The partial unique index on (workspace, status='training') makes this atomic across
    processes and machines, one run per workspace: a run in one workspace never holds up
    another's. A run of the workspace whose worker died is reaped first.
    workspace_id: None for the website's workspace (`default`).
    """
    workspace_id = workspace_id or default_workspace_id()
    training_runs_reap(workspace_id=workspace_id)
    now = timezone.now()
    try:
        with transaction.atomic():
            return ModelVersion.objects.create(
                workspace_id=workspace_id, algorithm=algorithm, trigger=trigger, forced=force, task_id=task_id or "",
                worker=f"{socket.gethostname()}:{os.getpid()}", heartbeat_at=now,
            )  # fmt: skip
    except IntegrityError:
        running = ModelVersion.objects.training().filter(workspace_id=workspace_id).first()
        raise TrainingAlreadyRunning(running) from None


def training_runs_reap(*, stale_seconds: int | None = None, workspace_id: int | None = None) -> list[int]:
    """Mark failed every run whose worker is gone (of one workspace, or of all). Returns their ids.

    A run on this machine whose process no longer exists is dead at once (a
    killed pool process whose message comes straight back); elsewhere a run is
    dead when its heartbeat has been silent for `stale_seconds`.
    """
    stale = stale_seconds if stale_seconds is not None else settings.ENCORE_TRAINING_STALE_SECONDS
    limit = timezone.now() - timezone.timedelta(seconds=stale)
    running = ModelVersion.objects.training()
    if workspace_id is not None:
        running = running.filter(workspace_id=workspace_id)
    silent = set(running.filter(heartbeat_at__lt=limit).values_list("pk", flat=True))
    gone = {pk for pk, worker in running.values_list("pk", "worker") if _local_process_gone(worker)}
    ids = sorted(silent | gone)
    for pk in ids:
        reason = "its process is gone" if pk in gone else f"no heartbeat for {stale} s"
        ModelVersion.objects.training().filter(pk=pk).update(
            status=ModelVersion.Status.FAILED,
            finished_at=timezone.now(),
            error=f"The run stopped without finishing ({reason}): its worker was killed or lost.",
        )
        shard_files_delete(version_id=pk)
    if ids:
        log.error("marked dead training runs as failed: %s", ids)
    return ids


def _local_process_gone(worker: str) -> bool:
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def training_heartbeat(*, version_id: int) -> bool:
    """Refresh the heartbeat; False when the run is no longer training (reaped or finished)."""
    return ModelVersion.objects.training().filter(pk=version_id).update(heartbeat_at=timezone.now()) > 0


@contextmanager
def heartbeat_while(*, version_id: int):
    """Refresh the run's heartbeat from a background thread while the block runs.

    Skipped inside an outer transaction (as in tests): another connection
    could not see the uncommitted row, and the run is not shared anyway.
    """
    if connection.in_atomic_block:
        yield
        return
    stop = threading.Event()

    def beat():
        try:
            while not stop.wait(settings.ENCORE_TRAINING_HEARTBEAT_SECONDS):
                try:
                    training_heartbeat(version_id=version_id)
                except Exception:  # a missed beat is not fatal; the next one may get through
                    log.warning("heartbeat of training run %s failed", version_id, exc_info=True)
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{version_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def training_run_fail(*, version: ModelVersion, error: str, timings: dict | None = None) -> ModelVersion:
    version.status, version.error, version.finished_at = ModelVersion.Status.FAILED, error, timezone.now()
    if timings is not None:
        version.timings = timings
    ModelVersion.objects.filter(pk=version.pk).exclude(status=ModelVersion.Status.ACTIVE).update(
        status=version.status, error=error, finished_at=version.finished_at, timings=version.timings
    )
    shard_files_delete(version_id=version.pk)
    return version


def quality_guard(*, version: ModelVersion) -> str:
    """Empty when `version` may replace the serving one of its workspace, else the reason it may not.

    The comparison is with the workspace's version that really serves, within the
    workspace's tolerance: an active version whose artifact no longer reads back is
    marked broken first (its successor, if any, is then the one to beat), so a
    damaged file cannot hold back every later model.
    """
    active = model_version_serving(workspace_id=version.workspace_id, exclude=version.pk)
    if version.forced or active is None or active.ndcg is None:
        return ""
    tolerance = Workspace.objects.get(pk=version.workspace_id).tolerance
    new, old = version.ndcg or 0.0, active.ndcg
    floor = old * (1.0 - tolerance)
    if new < floor:
        return (
            f"Not activated: ndcg@10 {new:.4f} is below v{active.pk}'s {old:.4f} by more than "
            f"{tolerance:.0%} (train with --force to activate anyway)."
        )
    return ""


def model_version_serving(*, workspace_id: int, exclude: int | None = None) -> ModelVersion | None:
    """The workspace's active version once its artifact is checked; a broken one hands over to its predecessor."""
    for _ in range(settings.ENCORE_KEEP_VERSIONS + 1):
        active = ModelVersion.objects.active().filter(workspace_id=workspace_id).exclude(pk=exclude).first()
        problem = artifact_problem(version=active) if active is not None else ""
        if not problem:
            return active
        model_version_mark_broken(version=active, reason=problem)
    return None


def model_version_mark_broken(*, version: ModelVersion, reason: str) -> ModelVersion | None:
    """Record that `version`'s artifact cannot be read; if it was serving, the previous servable version
    of its workspace takes over in the same transaction. Returns the version that serves the workspace
    afterwards (None when none can).
    """
    # Found before taking the lock: checking candidates reads their artifacts, which may take a while.
    serving = ModelVersion.objects.active().filter(pk=version.pk).exists()
    fallback = model_version_previous(workspace_id=version.workspace_id, exclude=version.pk) if serving else None
    with transaction.atomic():
        locked = ModelVersion.objects.select_for_update().filter(pk=version.pk).first()
        if locked is not None and locked.status in (ModelVersion.Status.ACTIVE, ModelVersion.Status.READY):
            ModelVersion.objects.filter(pk=version.pk).update(
                status=ModelVersion.Status.BROKEN, error=f"Artifact unreadable: {reason}"
            )
            log.error("model version %s is broken: %s", version.pk, reason)
            if locked.status == ModelVersion.Status.ACTIVE and fallback is not None:
                try:
                    with transaction.atomic():
                        model_version_activate(version=fallback, verify=False)
                    log.error("model version %s serves instead of the broken version %s", fallback.pk, version.pk)
                except ValueError:  # retired or activated elsewhere meanwhile: the broken one still must not serve
                    log.exception("could not hand over from the broken version %s", version.pk)
    return ModelVersion.objects.active().filter(workspace_id=version.workspace_id).first()


def model_version_previous(*, workspace_id: int, exclude: int | None = None) -> ModelVersion | None:
    """The workspace's most recently active servable version other than `exclude` whose artifact reads
    back; the ones that do not are marked broken on the way."""
    candidates = (
        ModelVersion.objects.servable()
        .filter(workspace_id=workspace_id, status=ModelVersion.Status.READY, activated_at__isnull=False)
        .exclude(pk=exclude)
        .order_by("-activated_at", "-pk")
    )
    for candidate in candidates:
        problem = artifact_problem(version=candidate)
        if not problem:
            return candidate
        model_version_mark_broken(version=candidate, reason=problem)
    return None


def model_version_activate(*, version: ModelVersion, verify: bool = True) -> ModelVersion:
    """Make `version` the one that serves its workspace; the workspace's previous active one becomes ready again.

    One transaction, so web processes see either the old version or the new one, never neither.
    verify: read the artifact back first (False when the caller has just written or checked it);
    one that does not read back is marked broken and refused with ValueError.
    """
    problem = artifact_problem(version=version) if verify and version.artifact else ""
    if problem:
        model_version_mark_broken(version=version, reason=problem)
        raise ValueError(f"{version} cannot serve: its artifact is unreadable ({problem})")
    # A broken version whose file reads back again (restored from a backup) may serve again.
    allowed = [ModelVersion.Status.READY, ModelVersion.Status.ACTIVE] + [ModelVersion.Status.BROKEN] * verify
    with transaction.atomic():
        locked = ModelVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status not in allowed or not locked.artifact:
            raise ValueError(f"{locked} cannot serve: only a finished version with its artifact can be activated")
        if locked.status == ModelVersion.Status.BROKEN:
            ModelVersion.objects.filter(pk=version.pk).update(error="")
        ModelVersion.objects.select_for_update().filter(
            workspace_id=locked.workspace_id, status=ModelVersion.Status.ACTIVE
        ).exclude(pk=version.pk).update(status=ModelVersion.Status.READY)
        version.status, version.activated_at = ModelVersion.Status.ACTIVE, timezone.now()
        ModelVersion.objects.filter(pk=version.pk).update(status=version.status, activated_at=version.activated_at)
    return version


def model_version_rollback(*, workspace_id: int | None = None) -> ModelVersion | None:
    """Serve again the version of the workspace that was active before its current one; None when none
    reads back. workspace_id: None for the website's workspace (`default`)."""
    workspace_id = workspace_id or default_workspace_id()
    current = ModelVersion.objects.active().filter(workspace_id=workspace_id).first()
    previous = model_version_previous(workspace_id=workspace_id, exclude=getattr(current, "pk", None))
    if previous is None:
        return None
    return model_version_activate(version=previous, verify=False)


def model_versions_retire(*, workspace_id: int | None = None, keep: int | None = None) -> list[int]:
    """Keep the artifacts of each workspace's newest `keep` finished versions (and its active one, and the
    candidates of its draft and running experiments); delete older ones. workspace_id: that workspace only
    (None: every workspace, each keeping its own).

    Rows stay, with their metrics, as the history of the model; only the files go.
    """
    if workspace_id is None:
        stored = ModelVersion.objects.exclude(artifact="").order_by().values_list("workspace_id", flat=True).distinct()
        return [pk for ws in sorted(stored) for pk in model_versions_retire(workspace_id=ws, keep=keep)]
    keep = keep or settings.ENCORE_KEEP_VERSIONS
    versions = ModelVersion.objects.filter(workspace_id=workspace_id)
    finished = versions.servable().order_by("-created_at", "-pk")
    keep_ids = set(finished.values_list("pk", flat=True)[:keep]) | set(versions.active().values_list("pk", flat=True))
    keep_ids |= set(
        Variant.objects.filter(
            experiment__workspace_id=workspace_id,
            experiment__status__in=[Experiment.Status.DRAFT, Experiment.Status.RUNNING],
            model_version__isnull=False,
        ).values_list("model_version_id", flat=True)
    )
    retired = []
    for version in versions.exclude(artifact="").exclude(pk__in=keep_ids).exclude(status=ModelVersion.Status.TRAINING):
        try:
            version.artifact.delete(save=False)
        except Exception:  # a file already gone must not stop the clean-up of the others
            log.warning("could not delete the artifact of %s", version, exc_info=True)
        # Failed and broken versions keep their status, so the reason stays on record.
        keep_status = version.status in (ModelVersion.Status.FAILED, ModelVersion.Status.BROKEN)
        status = version.status if keep_status else ModelVersion.Status.RETIRED
        ModelVersion.objects.filter(pk=version.pk).update(artifact="", status=status)
        retired.append(version.pk)
    return retired
