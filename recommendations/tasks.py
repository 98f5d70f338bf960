"""Celery tasks: thin shells around the training, sharding and trending services.

Training is `train_model_version`; when the data is large enough for sharding to
pay off, it hands its similarity blocks to a chord whose last task finishes the
run. Every task takes ids, is safe to run twice, and has time limits; late
acknowledgement (settings) puts a message back in the queue when its worker dies,
and the single-flight slot and the heartbeat reaper keep a redelivered run from
overlapping a live one.
"""

import logging

from celery import chord, shared_task
from celery.result import AsyncResult
from celery.signals import worker_ready

from config.celery import QueueUnavailable, publish
from recommendations import sharding
from recommendations.models import ModelVersion
from recommendations.training import TrainingAlreadyRunning, train_model_version, training_runs_reap
from recommendations.training.lifecycle import training_heartbeat, training_run_fail
from recommendations.training.sharded import Block, training_blocks_finish
from recommendations.trending import trending_refresh

log = logging.getLogger(__name__)
PING_TIMEOUT_SECONDS = 1.5


def train_model_enqueue(
    *, trigger: str, force: bool = False, algorithm: str | None = None, result: bool = False
) -> AsyncResult:
    """Queue a training run; raises QueueUnavailable with the broker's own error within seconds.
    result: keep the task's return value (the version id) for the caller to wait on."""
    kwargs = {"trigger": trigger, "force": force, "algorithm": algorithm}
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
    trigger: str = ModelVersion.Trigger.SCHEDULE, force: bool = False, algorithm: str | None = None
) -> int | None:
    """Start a training run; returns its version id (None when another run is in progress).

    A large run goes on in `similarity_block` and `train_finish` tasks: wait for the
    version's status, not for this task.
    """
    # Eager tasks (tests, one-process setups) cannot wait for a chord: they train in one piece.
    queue = None if train_model.app.conf.task_always_eager else _queue_blocks
    try:
        version = train_model_version(
            trigger=trigger, algorithm=algorithm, force=force, task_id=train_model.request.id or "", queue_blocks=queue
        )
    except TrainingAlreadyRunning as exc:
        log.info("training request skipped: %s", exc)
        return None
    return version.pk


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
def refresh_trending() -> int:
    """Recompute trending scores; running it twice in a row gives the same table."""
    return trending_refresh()


@worker_ready.connect
def _reap_on_worker_start(**kwargs):
    # A worker that comes back after a crash frees the slot its dead run held (once that run is stale).
    try:
        training_runs_reap()
    except Exception:
        log.warning("could not check for stale training runs at start-up", exc_info=True)
