"""Training stages: extract -> tune -> fit -> evaluate -> write -> activate.

`training.run.train_model_version` chains them; a sharded run computes the
item-kNN similarity on the workers between tuning and fitting (`training.sharded`).
"""

import io
import json
import logging
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.workspaces import workspace_data_read
from recommendations import sharding
from recommendations.engine import build_model
from recommendations.engine.evaluation import holdout_mask, ranking_metrics, split
from recommendations.engine.tuning import tune
from recommendations.models import ModelVersion
from recommendations.training.artifacts import artifact_save, model_artifact_name
from recommendations.training.extract import TrainingData, training_data_extract
from recommendations.training.lifecycle import model_version_activate, model_versions_retire, quality_guard

log = logging.getLogger(__name__)
HOLDOUT_FRACTION, HOLDOUT_SEED, K = 0.25, 42, 10


@dataclass
class Holdout:
    rows: np.ndarray  # (n,) int64 matrix rows (users) the holdout model is fitted on
    mask: np.ndarray  # (nnz of those rows,) bool over their stored entries: held out
    train: sp.csr_matrix  # (n, n_items) the holdout model's training matrix
    test: sp.csr_matrix  # (n, n_items) the held-out entries
    train_timestamps: np.ndarray  # (train.nnz,) float64
    users: np.ndarray  # rows of train/test the metrics are measured on (a fixed sample with held-out items)


def evaluation_rows(X: sp.csr_matrix, budget: int) -> np.ndarray:
    """Every user, or on large data a fixed random subset holding about `budget` interactions.

    The holdout model then costs a fraction of the served one, and its metrics
    still compare versions with each other, as the quality guard needs.
    """
    if X.nnz <= budget:
        return np.arange(X.shape[0])
    order = np.random.default_rng(HOLDOUT_SEED).permutation(X.shape[0])
    sizes = np.cumsum(np.diff(X.indptr)[order])
    return np.sort(order[: int(np.searchsorted(sizes, budget)) + 1])


def holdout_split(data: TrainingData, rows: np.ndarray, mask: np.ndarray | None = None) -> Holdout:
    """The engine's per-user split (seed 42) of `rows`, and a fixed sample of users to measure on."""
    X = data.matrix if len(rows) == data.matrix.shape[0] else data.matrix[rows]
    stamps = data.timestamps
    if len(rows) != data.matrix.shape[0]:
        entries = np.concatenate([np.arange(data.matrix.indptr[r], data.matrix.indptr[r + 1]) for r in rows.tolist()])
        stamps = data.timestamps[entries]
    if mask is None:
        mask = holdout_mask(X, HOLDOUT_FRACTION, HOLDOUT_SEED)
    train, test = split(X, mask)
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    if len(users) > settings.ENCORE_EVAL_USERS:
        users = np.sort(np.random.default_rng(HOLDOUT_SEED).choice(users, settings.ENCORE_EVAL_USERS, replace=False))
    return Holdout(rows, mask, train, test, stamps[~mask], users)


def holdout_for(data: TrainingData) -> Holdout:
    return holdout_split(data, evaluation_rows(data.matrix, settings.ENCORE_EVAL_MAX_INTERACTIONS))


def training_tune(*, version: ModelVersion, data: TrainingData) -> dict:
    """The served model's parameters, chosen before fitting so the fit can be sharded.

    A self-tuning model (the hybrid) picks its blend here exactly as its own
    fit would (the engine's `tune` on the same matrix), so the model is the same;
    knowing the choice first tells whether it uses item-kNN, the work worth
    spreading over workers. Others keep their defaults.
    """
    started = time.perf_counter()
    params = dict(build_model(version.algorithm).params)
    if "weights" in params and params["weights"] is None:
        params.update(tune(data.matrix, data.item_texts, dict(params)))
    version.config["params"] = json.loads(json.dumps(params, default=float))
    version.timings["tune"] = round(time.perf_counter() - started, 3)
    ModelVersion.objects.filter(pk=version.pk).update(config=version.config, timings=version.timings)
    return version.config["params"]


def training_prepare(*, version: ModelVersion) -> tuple[TrainingData, Holdout]:
    """Extract stage: bulk read of the version's workspace, then the holdout split; records the data counts.

    The workspace's "data changed" mark is cleared just before the read: a write from then
    on marks it again, so the dispatcher trains the workspace once more for it.
    """
    started = time.perf_counter()
    if version.trigger != ModelVersion.Trigger.EXPERIMENT:  # a candidate leaves the serving model's retraining due
        workspace_data_read(version.workspace_id)
    data = training_data_extract(workspace_id=version.workspace_id)
    holdout = holdout_for(data)
    version.timings = {"extract": round(time.perf_counter() - started, 3)}
    version.n_users, version.n_items, version.n_interactions = len(data.user_ids), len(data.item_ids), data.n_events
    version.config = {"algorithm": version.algorithm, "params": build_model(version.algorithm).params,
                      "watermark": data.watermark, "holdout": {"fraction": HOLDOUT_FRACTION, "seed": HOLDOUT_SEED,
                                                               "users": len(holdout.users),
                                                               "fitted_users": len(holdout.rows)}}  # fmt: skip
    ModelVersion.objects.filter(pk=version.pk).update(
        timings=version.timings, n_users=version.n_users, n_items=version.n_items,
        n_interactions=version.n_interactions, config=version.config,
    )  # fmt: skip
    return data, holdout


def fit_here(version: ModelVersion, data: TrainingData, holdout: Holdout, similarity=None):
    """Fit the served model (on a similarity computed in blocks, when given) and the holdout model.

    The holdout model is the same algorithm fitted, and tuned if it tunes itself, on the
    holdout's training part only, so nothing of the held-out entries leaks into its metrics.
    Returns (model, holdout model).
    """
    started = time.perf_counter()
    given = {} if similarity is None else {"similarity": similarity}
    model = build_model(version.algorithm, **version.config["params"]).fit(
        data.matrix, item_texts=data.item_texts, timestamps=data.timestamps, **given
    )
    version.timings["fit"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    eval_model = build_model(version.algorithm).fit(
        holdout.train, item_texts=data.item_texts, timestamps=holdout.train_timestamps
    )
    version.timings["evaluate_fit"] = round(time.perf_counter() - started, 3)
    return model, eval_model


def holdout_evaluate(eval_model, holdout: Holdout) -> dict[str, float]:
    """The engine's ranking metrics of the holdout model on the sampled users."""
    recs, _ = eval_model.recommend(holdout.train[holdout.users], K)
    metrics = ranking_metrics(recs, holdout.test[holdout.users], K)
    metrics["coverage"] = float(len(np.unique(recs[recs >= 0])) / max(holdout.train.shape[1], 1))
    return {key: round(value, 5) for key, value in metrics.items()}


def artifact_write(version: ModelVersion, model, data: TrainingData) -> None:
    buffer = io.BytesIO()
    model.save(buffer, extra={"item_ids": data.item_ids, "user_ids": data.user_ids})
    artifact_save(version=version, content=buffer.getvalue(), name=model_artifact_name(version))


def training_complete(
    *, version: ModelVersion, model, eval_model, data: TrainingData, holdout: Holdout
) -> ModelVersion:
    """Evaluate, write, then activate if the quality guard allows; the run ends here.

    An experiment's candidate is never activated here: it stays ready for its experiment to serve,
    and is activated only if the experiment promotes it.
    """
    started = time.perf_counter()
    version.metrics = holdout_evaluate(eval_model, holdout)
    version.timings["evaluate"] = round(time.perf_counter() - started + version.timings.pop("evaluate_fit", 0.0), 3)
    started = time.perf_counter()
    artifact_write(version, model, data)
    version.timings["write"] = round(time.perf_counter() - started, 3)
    if version.trigger == ModelVersion.Trigger.EXPERIMENT:
        version.note = "Experiment candidate: not activated; its experiment serves it to a share of the people."
    else:
        version.note = quality_guard(version=version)
    version.status, version.finished_at = ModelVersion.Status.READY, timezone.now()
    # One transaction: a version that passes the guard goes straight from training to active.
    with transaction.atomic():
        ModelVersion.objects.filter(pk=version.pk).update(
            metrics=version.metrics, timings=version.timings, artifact=version.artifact.name, note=version.note,
            artifact_sha256=version.artifact_sha256, artifact_size=version.artifact_size,
            status=version.status, finished_at=version.finished_at, config=version.config,
        )  # fmt: skip
        if not version.note:
            started = time.perf_counter()
            model_version_activate(version=version, verify=False)  # its bytes were hashed as they were written
            version.timings["activate"] = round(time.perf_counter() - started, 3)
            ModelVersion.objects.filter(pk=version.pk).update(timings=version.timings)
    if version.note and version.trigger != ModelVersion.Trigger.EXPERIMENT:
        log.warning("version %s: %s", version.pk, version.note)
    model_versions_retire(workspace_id=version.workspace_id)
    sharding.shard_files_delete(version_id=version.pk)
    log.info("trained %s: %s in %.1fs", version, version.metrics, version.total_seconds)
    return version
