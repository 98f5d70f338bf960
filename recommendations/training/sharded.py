"""A run whose item-kNN similarity is computed in item blocks on several workers.

`training_blocks_plan` stores what the blocks and the finish need and returns the
blocks to compute; the Celery tasks compute them (`sharding.similarity_block_compute`)
and `training_blocks_finish` merges them and completes the run with the same stages
as a run in one process, so one worker or many give the same model.
"""

import inspect
import logging
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from django.conf import settings

from recommendations import sharding
from recommendations.engine import build_model
from recommendations.models import ModelVersion
from recommendations.training import pipeline
from recommendations.training.extract import TrainingData
from recommendations.training.lifecycle import heartbeat_while, training_run_fail

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Block:
    part: str
    start: int
    stop: int
    k: int
    shrinkage: float


def supports_sharding(algorithm: str) -> bool:
    """Models whose fit takes a precomputed item-kNN similarity (merged blocks) can be sharded."""
    return "similarity" in inspect.signature(type(build_model(algorithm))._fit).parameters


def needs_similarity(version: ModelVersion) -> bool:
    """Whether the tuned model uses an item-kNN similarity (the work worth sharding)."""
    if not supports_sharding(version.algorithm):
        return False
    params = version.config["params"]
    return "weights" not in params or "itemknn" in (params["weights"] or {})


def similarity_params(version: ModelVersion) -> tuple[int, float]:
    """(k, shrinkage) of the tuned model's item-kNN, which the blocks are computed with."""
    params = version.config["params"]
    return int(params.get("itemknn_k", params.get("k"))), float(params["shrinkage"])


def sharding_pays_off(version: ModelVersion, data: TrainingData) -> bool:
    return (
        data.n_events >= settings.ENCORE_SHARD_MIN_INTERACTIONS
        and settings.ENCORE_TRAINING_BLOCKS > 1
        and needs_similarity(version)
    )


def training_blocks_plan(*, version: ModelVersion, data: TrainingData, holdout: pipeline.Holdout) -> list[Block]:
    """Store the run's matrices and state where every worker can read them; the blocks to compute."""
    sharding.matrix_save(version_id=version.pk, matrix=data.matrix)
    k, shrinkage = similarity_params(version)
    blocks = [
        Block("full", start, stop, k, shrinkage)
        for start, stop in sharding.block_plan(data.matrix, settings.ENCORE_TRAINING_BLOCKS)
    ]
    version.config["sharding"] = {"blocks": len(blocks), "started": time.time()}
    # The finish re-extracts nothing: the holdout split and ids travel through storage.
    run_state_save(version_id=version.pk, data=data, holdout=holdout)
    ModelVersion.objects.filter(pk=version.pk).update(config=version.config)
    return blocks


def training_blocks_finish(*, version_id: int, blocks: list[dict | None]) -> ModelVersion | None:
    """Merge the computed blocks, then evaluate, write and activate (the stages of a run in one process)."""
    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None or version.status != ModelVersion.Status.TRAINING:
        return version  # finished already (a redelivery) or reaped
    if any(block is None for block in blocks):
        return training_run_fail(version=version, error="The run was abandoned while its blocks were computed.")
    with heartbeat_while(version_id=version_id):
        try:
            shard = version.config.get("sharding", {})
            version.timings["blocks"] = round(time.time() - shard.get("started", time.time()), 3)
            shard["block_seconds"] = round(sum(b["seconds"] for b in blocks), 3)
            data, holdout = run_state_load(version_id=version_id)
            started = time.perf_counter()
            full = sharding.similarity_blocks_merge(blocks, "full", len(data.item_ids))
            version.timings["merge"] = round(time.perf_counter() - started, 3)
            model, eval_model = pipeline.fit_here(version, data, holdout, similarity=full)
            # The fit stage, end to end: the blocks on the workers, their merge and the final fit.
            timings = version.timings
            timings["fit"] = round(timings["blocks"] + timings["merge"] + timings["fit"], 3)
            return pipeline.training_complete(
                version=version, model=model, eval_model=eval_model, data=data, holdout=holdout
            )
        except Exception as exc:
            log.exception("finishing training version %s failed", version_id)
            return training_run_fail(version=version, error=repr(exc), timings=version.timings)


def run_state_save(*, version_id: int, data: TrainingData, holdout: pipeline.Holdout) -> None:
    """What the finish needs besides the blocks: the matrix, its ids and the holdout split."""
    X = data.matrix
    sharding.arrays_save(
        f"{sharding.shard_dir(version_id)}/state.npz",
        data=X.data, indices=X.indices, indptr=X.indptr, shape=np.array(X.shape), timestamps=data.timestamps,
        user_ids=data.user_ids, item_ids=data.item_ids, mask=holdout.mask, rows=holdout.rows,
        item_texts=np.array(data.item_texts, dtype=str), n_events=np.array([data.n_events]),
    )  # fmt: skip


def run_state_load(*, version_id: int) -> tuple[TrainingData, pipeline.Holdout]:
    """(TrainingData, Holdout) as `run_state_save` stored them."""
    s = sharding.arrays_load(f"{sharding.shard_dir(version_id)}/state.npz")
    X = sp.csr_matrix((s["data"], s["indices"], s["indptr"]), shape=tuple(s["shape"]))
    texts = s["item_texts"].tolist()
    data = TrainingData(X, s["timestamps"], s["user_ids"], s["item_ids"], texts, int(s["n_events"][0]))
    return data, pipeline.holdout_split(data, s["rows"], s["mask"])
