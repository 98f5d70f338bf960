"""Celery tasks: thin shells around the training, sharding and trending services.

Training is `train_model_version`, one workspace per run; when the data is large
enough for sharding to pay off, it hands its similarity blocks to a chord whose last
task finishes the run. Beat runs `dispatch_training` every minute, which queues a run
for each workspace whose data changed (see `training.dispatch`), so thousands of
tenants need one schedule, not one each. Every task takes ids, is safe to run twice,
and has time limits; late acknowledgement (settings) puts a message back in the queue
when its worker dies, and the single-flight slot and the heartbeat reaper keep a
redelivered run from overlapping a live one.
"""

import logging

from celery import chord, shared_task
from celery.result import AsyncResult
from celery.signals import worker_ready
from django.core.cache import cache

from config.celery import QueueUnavailable, publish
from core.workspaces import default_workspace_id
from recommendations import sharding
from recommendations.models import ModelVersion
from recommendations.training import TrainingAlreadyRunning, train_model_version, training_runs_reap
from recommendations.training.dispatch import workspace_training_wanted, workspaces_due_for_training
from recommendations.training.lifecycle import training_heartbeat, training_run_fail
from recommendations.training.sharded import Block, training_blocks_finish
from recommendations.trending import trending_refresh, trending_refresh_recent

log = logging.getLogger(__name__)
PING_TIMEOUT_SECONDS = 1.5


def train_model_enqueue(
    *,
    workspace_id: int | None = None,
    trigger: str,
    force: bool = False,
    algorithm: str | None = None,
    result: bool = False,
) -> AsyncResult:
    """Queue a training run of one workspace (None: the website's, `default`); raises QueueUnavailable
    with the broker's own error within seconds.
    result: keep the task's return value (the version id) for the caller to wait on."""
    workspace_id = workspace_id or default_workspace_id()
    kwargs = {"trigger": trigger, "force": force, "algorithm": algorithm, "workspace_id": workspace_id}
    return publish(train_model, kwargs=kwargs, keep_result=result)


def workers_alive(*, timeout: float = PING_TIMEOUT_SECONDS) -> list[str]:
    """Names of the Celery workers that answer a ping within `timeout` seconds (none: an empty list)."""
    try:
        replies = train_model.app.control.ping(timeout=timeout)
    except Exception as exc:
        raise QueueUnavailable(f"cannot reach the task queue: {exc or type(exc).__name__}") from exc
    return sorted(name for reply in replies for name in reply)


@shared_task(name="recommendations.train_model", ignore_result=False)
def train_model(
    trigger: str = ModelVersion.Trigger.SCHEDULE,
    force: bool = False,
    algorithm: str | None = None,
    workspace_id: int | None = None,
) -> int | None:
    """Start a training run of one workspace (None: `default`); returns its version id (None when
    another run of the workspace is in progress, or a scheduled run finds nothing new to learn).

    A large run goes on in `similarity_block` and `train_finish` tasks: wait for the
    version's status, not for this task.
    """
    workspace_id = workspace_id or default_workspace_id()
    task_id = train_model.request.id or ""
    cache.delete(_queued_key(workspace_id))
    redelivered = bool(task_id) and ModelVersion.objects.filter(task_id=task_id).exists()
    scheduled = trigger == ModelVersion.Trigger.SCHEDULE and not force and not redelivered
    if scheduled and not workspace_training_wanted(workspace_id):
        log.info("scheduled training of workspace %s skipped: nothing changed since its last run", workspace_id)
        return None
    # Eager tasks (tests, one-process setups) cannot wait for a chord: they train in one piece.
    queue = None if train_model.app.conf.task_always_eager else _queue_blocks
    try:
        version = train_model_version(
            workspace_id=workspace_id, trigger=trigger, algorithm=algorithm, force=force, task_id=task_id,
            queue_blocks=queue,
        )  # fmt: skip
    except TrainingAlreadyRunning as exc:
        log.info("training request skipped: %s", exc)
        return None
    return version.pk


@shared_task(name="recommendations.dispatch_training")
def dispatch_training() -> list[int]:
    """Queue a scheduled run for every workspace due for one (`training.dispatch`). Returns their ids.

    A workspace whose run is queued and not started yet is not queued again (until its period
    passes), so a backlog of busy workers does not fill up with copies; a copy that gets through
    anyway finds nothing new to learn and stops at once.
    """
    queued = []
    due = workspaces_due_for_training()
    waiting = cache.get_many([_queued_key(workspace_id) for workspace_id, _ in due])
    for workspace_id, minutes in due:
        if _queued_key(workspace_id) in waiting:
            continue
        # The message expires when the next one may be sent: workers back from an outage run one.
        kwargs = {"trigger": ModelVersion.Trigger.SCHEDULE, "workspace_id": workspace_id}
        train_model.apply_async(kwargs=kwargs, expires=minutes * 60)
        cache.set(_queued_key(workspace_id), True, timeout=minutes * 60)
        queued.append(workspace_id)
    if queued:
        log.info("scheduled training queued for %d workspace(s): %s", len(queued), queued[:20])
    return queued


def _queued_key(workspace_id: int) -> str:
    return f"training:queued:{workspace_id}"


def _queue_blocks(version_id: int, blocks: list[Block]) -> None:
    header = [similarity_block.s(version_id, b.part, b.start, b.stop, b.k, b.shrinkage) for b in blocks]
    chord(header)(train_finish.s(version_id).on_error(train_chord_failed.si(version_id)))
    log.info("training version %s: %d similarity blocks queued", version_id, len(header))


@shared_task(name="recommendations.similarity_block", acks_late=True)
def similarity_block(version_id: int, part: str, start: int, stop: int, k: int, shrinkage: float) -> dict | None:
    """One item block of one similarity matrix; None when the run was abandoned meanwhile."""
    if not training_heartbeat(version_id=version_id):
        return None
    return sharding.similarity_block_compute(
        version_id=version_id, part=part, start=start, stop=stop, k=k, shrinkage=shrinkage
    )


@shared_task(name="recommendations.train_finish", acks_late=True)
def train_finish(blocks: list, version_id: int) -> int | None:
    """Merge the blocks, then evaluate, write and activate (the same stages as an unsharded run)."""
    version = training_blocks_finish(version_id=version_id, blocks=blocks)
    return version.pk if version else None


@shared_task(name="recommendations.train_chord_failed")
def train_chord_failed(version_id: int) -> None:
    version = ModelVersion.objects.training().filter(pk=version_id).first()
    if version is not None:
        training_run_fail(version=version, error="A similarity block failed; see the worker log.")


@shared_task(name="recommendations.reap_training_runs")
def reap_training_runs() -> list[int]:
    return training_runs_reap()


@shared_task(name="recommendations.refresh_trending")
def refresh_trending(workspace_id: int | None = None) -> int:
    """Recompute the trending scores of the workspaces with activity since the last refresh (or of one);
    running it twice in a row gives the same table. Returns the number of scores stored."""
    if workspace_id:
        return trending_refresh(workspace=workspace_id)
    return trending_refresh_recent()


@worker_ready.connect
def _reap_on_worker_start(**kwargs):
    # A worker that comes back after a crash frees the slot its dead run held (once that run is stale).
    try:
        training_runs_reap()
    except Exception:
        log.warning("could not check for stale training runs at start-up", exc_info=True)
