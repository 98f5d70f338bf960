"""Celery tasks: thin shells around the training, sharding and trending services.

Training runs as prepare -> chord(similarity blocks) -> finish when the data is
large enough for sharding to pay off, else in one task. Every task takes ids,
is safe to run twice, and has time limits; late acknowledgement (settings) puts
a message back in the queue when its worker dies, and the single-flight slot
and the heartbeat reaper keep a redelivered run from overlapping a live one.
"""

import logging
import time

from celery import chord, shared_task
from celery.signals import worker_ready
from django.conf import settings

from recommendations import sharding
from recommendations.models import ModelVersion
from recommendations.training import TrainingAlreadyRunning, training_runs_reap
from recommendations.training.lifecycle import (
    heartbeat_while,
    training_heartbeat,
    training_run_fail,
    training_run_start,
)
from recommendations.training.pipeline import (
    fit_here,
    needs_similarity,
    similarity_params,
    training_complete,
    training_prepare,
    training_tune,
)
from recommendations.trending import trending_refresh

log = logging.getLogger(__name__)


@shared_task(name="recommendations.train_model", ignore_result=False)
def train_model(
    trigger: str = ModelVersion.Trigger.SCHEDULE, force: bool = False, algorithm: str | None = None
) -> int | None:
    """Start a training run; returns its version id (None when another run is in progress).

    With sharding the run goes on in `similarity_block` and `train_finish` tasks:
    wait for the version's status, not for this task.
    """
    task_id = train_model.request.id or ""
    if task_id:
        training_runs_reap()  # a redelivery after its worker died finds that run failed and starts again
        done = ModelVersion.objects.filter(task_id=task_id).exclude(status=ModelVersion.Status.FAILED).first()
        if done is not None:
            return done.pk  # a redelivered message whose run finished or still runs: do not start another
    try:
        version = training_run_start(
            algorithm=algorithm or settings.ENCORE_MODEL_ALGORITHM, trigger=trigger, force=force, task_id=task_id
        )
    except TrainingAlreadyRunning as exc:
        log.info("training request skipped: %s", exc)
        return None
    with heartbeat_while(version_id=version.pk):
        try:
            data, holdout = training_prepare(version=version)
            training_tune(version=version, data=data)
            if _should_shard(version, data):
                return _launch_chord(version, data, holdout)
            model, eval_model = fit_here(version, data, holdout)
            training_complete(version=version, model=model, eval_model=eval_model, data=data, holdout=holdout)
        except Exception as exc:
            log.exception("training version %s failed", version.pk)
            training_run_fail(version=version, error=repr(exc), timings=version.timings)
    return version.pk


def _should_shard(version, data) -> bool:
    return (
        data.n_events >= settings.ENCORE_SHARD_MIN_INTERACTIONS
        and settings.ENCORE_TRAINING_BLOCKS > 1
        and needs_similarity(version)
        and not train_model.app.conf.task_always_eager  # eager tasks cannot wait for a chord
    )


def _launch_chord(version, data, holdout) -> int:
    sharding.matrix_save(version_id=version.pk, matrix=data.matrix)
    k, shrinkage = similarity_params(version)
    header = [
        similarity_block.s(version.pk, "full", start, stop, k, shrinkage)
        for start, stop in sharding.block_plan(data.matrix, settings.ENCORE_TRAINING_BLOCKS)
    ]
    version.config["sharding"] = {"blocks": len(header), "started": time.time()}
    # The finishing task re-extracts nothing: the holdout split and ids travel through storage.
    sharding.run_state_save(version_id=version.pk, data=data, holdout=holdout)
    ModelVersion.objects.filter(pk=version.pk).update(config=version.config)
    chord(header)(train_finish.s(version.pk).on_error(train_chord_failed.si(version.pk)))
    log.info("training version %s: %d similarity blocks queued", version.pk, len(header))
    return version.pk


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
    """Merge the blocks, then evaluate, write and activate (the same code as an unsharded run)."""
    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None or version.status != ModelVersion.Status.TRAINING:
        return version_id if version else None  # finished already (a redelivery) or reaped
    if any(block is None for block in blocks):
        training_run_fail(version=version, error="The run was abandoned while its blocks were computed.")
        return version_id
    with heartbeat_while(version_id=version_id):
        try:
            shard = version.config.get("sharding", {})
            version.timings["blocks"] = round(time.time() - shard.get("started", time.time()), 3)
            shard["block_seconds"] = round(sum(b["seconds"] for b in blocks), 3)
            data, holdout = sharding.run_state_load(version_id=version_id)
            started = time.perf_counter()
            full = sharding.similarity_blocks_merge(blocks, "full", len(data.item_ids))
            version.timings["merge"] = round(time.perf_counter() - started, 3)
            model, eval_model = fit_here(version, data, holdout, similarity=full)
            # The fit stage, end to end: the blocks on the workers, their merge and the final fit.
            version.timings["fit"] = round(
                version.timings["blocks"] + version.timings["merge"] + version.timings["fit"], 3
            )
            training_complete(version=version, model=model, eval_model=eval_model, data=data, holdout=holdout)
        except Exception as exc:
            log.exception("finishing training version %s failed", version_id)
            training_run_fail(version=version, error=repr(exc), timings=version.timings)
    return version_id


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
