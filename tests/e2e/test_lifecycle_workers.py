"""The model lifecycle with real worker processes: sharding, crashes, single flight."""

import time

import numpy as np
import pytest

from config.celery import app
from recommendations.engine import build_model, load_model
from recommendations.models import ModelVersion
from recommendations.tasks import train_model
from recommendations.training import train_model_version, training_data_extract, training_runs_reap
from tests.e2e.fixed_blend_worker import use_fixed_blend
from tests.e2e.workers import celery_workers, kill_worker
from tests.recommendations.builders import build_random_catalog

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout=120, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s")


def finished(version_id):
    version = ModelVersion.objects.get(pk=version_id)
    return version if version.status != ModelVersion.Status.TRAINING else None


@pytest.mark.parametrize("algorithm", ["itemknn", "hybrid"])
def test_two_workers_build_the_same_model_as_one_process(media_root, settings, monkeypatch, algorithm):
    settings.ENCORE_MODEL_ALGORITHM = algorithm
    build_random_catalog(n_users=120, n_items=90, per_user=15)
    app.control.purge()
    shard_env = {"ENCORE_SHARD_MIN_INTERACTIONS": 0, "ENCORE_TRAINING_BLOCKS": 4, "ENCORE_MODEL_ALGORITHM": algorithm}
    # The hybrid's tuning may or may not pick item-kNN on random data; a blend that has it is sharded every time.
    use_fixed_blend(monkeypatch.setattr)

    with celery_workers(2, extra_env=shard_env, app="tests.e2e.fixed_blend_worker"):
        version_id = train_model.delay(ModelVersion.Trigger.MANUAL).get(timeout=120)
        version = wait_for(lambda: finished(version_id))

    assert version.status == ModelVersion.Status.ACTIVE, version.error or version.note
    params = version.config["params"]
    assert version.config["sharding"]["blocks"] == 4
    with version.artifact.open("rb") as handle:
        sharded, extra = load_model(handle)
    data = training_data_extract()
    np.testing.assert_array_equal(extra["item_ids"], data.item_ids)
    alone = build_model(algorithm, **params).fit(data.matrix, item_texts=data.item_texts, timestamps=data.timestamps)
    if algorithm == "hybrid":
        assert sharded.params == alone.params  # the same tuned blend
        sharded, alone = sharded.models.get("itemknn", sharded), alone.models.get("itemknn", alone)
    if hasattr(sharded, "similarity"):
        for name in ("data", "indices", "indptr"):
            np.testing.assert_array_equal(getattr(sharded.similarity, name), getattr(alone.similarity, name))
    with version.artifact.open("rb") as handle:
        sharded, _ = load_model(handle)
    alone = build_model(algorithm, **params).fit(data.matrix, item_texts=data.item_texts, timestamps=data.timestamps)
    np.testing.assert_array_equal(sharded.recommend(data.matrix, 10)[0], alone.recommend(data.matrix, 10)[0])
    # The metrics match an unsharded run of the same data.
    inline = train_model_version(force=True)
    assert inline.metrics == version.metrics
    assert not list((media_root / "training").glob("v*/*")), "intermediate files are cleaned up"


def test_a_worker_killed_mid_training_leaves_the_previous_version_serving(media_root, settings):
    build_random_catalog(n_users=60, n_items=40, per_user=10)
    previous = train_model_version()
    app.control.purge()

    with celery_workers(1, app="tests.e2e.slow_worker", extra_env={"SLOW_FIT_SECONDS": 60}) as (worker,):
        train_model.delay(ModelVersion.Trigger.MANUAL)
        running = wait_for(lambda: ModelVersion.objects.training().first(), timeout=60)
        kill_worker(worker)

    # The dead run stops beating; once stale it is marked failed and frees the slot.
    settings.ENCORE_TRAINING_STALE_SECONDS = 2
    time.sleep(2.5)
    assert training_runs_reap() == [running.pk]
    running.refresh_from_db()
    assert running.status == ModelVersion.Status.FAILED and "killed" in running.error
    assert list(ModelVersion.objects.active()) == [previous]

    app.control.purge()
    with celery_workers(1):
        version_id = train_model.delay(ModelVersion.Trigger.MANUAL).get(timeout=120)
    assert ModelVersion.objects.get(pk=version_id).status == ModelVersion.Status.ACTIVE


def test_a_second_request_while_one_trains_does_not_run(media_root):
    build_random_catalog(n_users=60, n_items=40, per_user=10)
    app.control.purge()

    with celery_workers(2, app="tests.e2e.slow_worker", extra_env={"SLOW_FIT_SECONDS": 4}):
        first = train_model.delay(ModelVersion.Trigger.MANUAL)
        wait_for(lambda: ModelVersion.objects.training().exists(), timeout=60)
        second = train_model.delay(ModelVersion.Trigger.MANUAL)
        assert second.get(timeout=60) is None  # refused while the first one runs
        first_id = first.get(timeout=120)

    assert ModelVersion.objects.count() == 1
    assert ModelVersion.objects.get(pk=first_id).status == ModelVersion.Status.ACTIVE
