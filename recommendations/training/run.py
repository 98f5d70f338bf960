"""The one training run: called by `manage.py train --inline` and by the Celery task alike."""

import logging
from collections.abc import Callable

from core.models import Workspace
from core.workspaces import default_workspace_id
from recommendations.models import ModelVersion
from recommendations.training import pipeline, sharded
from recommendations.training.lifecycle import (
    heartbeat_while,
    training_run_fail,
    training_run_start,
    training_runs_reap,
)

log = logging.getLogger(__name__)


def train_model_version(
    *,
    workspace_id: int | None = None,
    trigger: str = ModelVersion.Trigger.MANUAL,
    algorithm: str | None = None,
    force: bool = False,
    task_id: str = "",
    queue_blocks: Callable[[int, list[sharded.Block]], None] | None = None,
) -> ModelVersion:
    """Extract, tune, fit, evaluate, write and activate one version of a workspace's model.

    workspace_id: whose data it learns and whose version it may replace (None: the
    website's workspace, `default`). algorithm: the workspace's unless given.
    Raises TrainingAlreadyRunning (a run of the same workspace is in progress); other
    failures are recorded on the version, not raised.
    task_id: the queue message that asked for it; a redelivered message gets the run it
    already started (unless that one failed) instead of a second one.
    queue_blocks(version id, blocks): given by a caller with workers; a large run whose model
    uses item-kNN then hands the similarity blocks to it and returns still training; the
    blocks' last step, `sharded.training_blocks_finish`, completes the run.
    """
    if task_id:
        training_runs_reap()  # a redelivery after its worker died finds that run failed and starts again
        earlier = ModelVersion.objects.filter(task_id=task_id).exclude(status=ModelVersion.Status.FAILED).first()
        if earlier is not None:
            return earlier
    workspace = Workspace.objects.get(pk=workspace_id or default_workspace_id())
    version = training_run_start(
        workspace_id=workspace.pk, algorithm=algorithm or workspace.model_algorithm, trigger=trigger, force=force,
        task_id=task_id,
    )  # fmt: skip
    with heartbeat_while(version_id=version.pk):
        try:
            data, holdout = pipeline.training_prepare(version=version)
            pipeline.training_tune(version=version, data=data)
            if queue_blocks is not None and sharded.sharding_pays_off(version, data):
                queue_blocks(version.pk, sharded.training_blocks_plan(version=version, data=data, holdout=holdout))
                return version
            model, eval_model = pipeline.fit_here(version, data, holdout)
            return pipeline.training_complete(
                version=version, model=model, eval_model=eval_model, data=data, holdout=holdout
            )
        except Exception as exc:
            log.exception("training version %s failed", version.pk)
            return training_run_fail(version=version, error=repr(exc), timings=version.timings)
