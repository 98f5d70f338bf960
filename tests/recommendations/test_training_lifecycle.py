import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from catalog.models import Interaction, Rating
from core.workspaces import default_workspace_id
from recommendations.models import ModelVersion
from recommendations.training import (
    TrainingAlreadyRunning,
    model_version_activate,
    model_version_rollback,
    model_versions_retire,
    pipeline,
    train_model_version,
    training_data_extract,
    training_runs_reap,
)
from tests.factories import InteractionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_bulk_extraction_equals_reading_through_the_orm(tiny_catalog):
    fan = tiny_catalog.fans[0]
    InteractionFactory(user=fan, item=tiny_catalog.romance[1], kind=Interaction.Kind.DISLIKE)
    InteractionFactory(user=fan, item=tiny_catalog.scifi[1], kind=Interaction.Kind.PLAY, value=0.5)
    InteractionFactory(user=fan, item=tiny_catalog.scifi[1], kind=Interaction.Kind.LIKE)

    data = training_data_extract()

    from recommendations.engine.weighting import event_weights, rating_weights

    expected = np.zeros(data.matrix.shape, dtype=np.float64)
    row = {pk: i for i, pk in enumerate(data.user_ids.tolist())}
    col = {pk: i for i, pk in enumerate(data.item_ids.tolist())}
    for user, item, value in Rating.objects.values_list("user_id", "item_id", "value"):
        expected[row[user], col[item]] += rating_weights(np.array([value]))[0]
    for user, item, kind, value in Interaction.objects.values_list("user_id", "item_id", "kind", "value"):
        expected[row[user], col[item]] += event_weights([kind], [np.nan if value is None else value])[0]
    np.testing.assert_allclose(data.matrix.toarray(), expected, rtol=1e-6)
    assert data.matrix.has_canonical_format and len(data.timestamps) == data.matrix.nnz
    assert data.n_events == Rating.objects.count() + 3


def test_a_version_records_config_counts_metrics_and_stage_timings(tiny_catalog, media_root):
    version = train_model_version()

    assert version.status == ModelVersion.Status.ACTIVE, version.error
    assert {"ndcg@10", "precision@10", "recall@10"} <= set(version.metrics)
    assert {"extract", "fit", "evaluate", "write"} <= set(version.timings)
    assert version.config["algorithm"] == version.algorithm and version.config["holdout"]["seed"] == 42
    assert version.n_interactions == Rating.objects.count()
    assert version.artifact.name == f"models/default/model-{version.pk}.npz"


def test_a_worse_version_is_kept_but_not_activated_unless_forced(tiny_catalog, media_root):
    good = train_model_version()
    ModelVersion.objects.filter(pk=good.pk).update(metrics={**good.metrics, "ndcg@10": 0.999})

    worse = train_model_version()
    forced = train_model_version(force=True)

    worse.refresh_from_db()
    assert worse.status == ModelVersion.Status.READY and "ndcg@10" in worse.note
    assert forced.status == ModelVersion.Status.ACTIVE and forced.forced


def test_within_the_tolerance_a_new_version_is_activated(tiny_catalog, media_root, settings):
    settings.ENCORE_QUALITY_TOLERANCE = 0.5
    good = train_model_version()
    ModelVersion.objects.filter(pk=good.pk).update(metrics={**good.metrics, "ndcg@10": good.ndcg * 1.5})

    assert train_model_version().status == ModelVersion.Status.ACTIVE


def test_only_one_training_runs_at_a_time(tiny_catalog, media_root):
    running = ModelVersion.objects.create(
        workspace_id=default_workspace_id(), algorithm="hybrid", heartbeat_at=timezone.now()
    )

    with pytest.raises(TrainingAlreadyRunning) as refused:
        train_model_version()

    assert refused.value.running == running
    assert ModelVersion.objects.count() == 1


def test_a_run_whose_heartbeat_stopped_is_reaped_and_the_next_one_runs(tiny_catalog, media_root, settings):
    settings.ENCORE_TRAINING_STALE_SECONDS = 60
    dead = ModelVersion.objects.create(
        workspace_id=default_workspace_id(),
        algorithm="hybrid",
        heartbeat_at=timezone.now() - timezone.timedelta(minutes=5),
    )
    alive = timezone.now()

    version = train_model_version()

    dead.refresh_from_db()
    assert dead.status == ModelVersion.Status.FAILED and "heartbeat" in dead.error
    assert version.status == ModelVersion.Status.ACTIVE
    assert training_runs_reap() == []  # the finished run is never touched
    assert dead.finished_at >= alive


def test_events_written_during_a_run_are_in_the_next_version(tiny_catalog, media_root, monkeypatch):
    late_user = UserFactory(username="late")
    fit_here = pipeline.fit_here

    def fit_while_someone_rates(*args, **kwargs):
        Rating.objects.create(user=late_user, item=tiny_catalog.romance[2], value=5.0)
        return fit_here(*args, **kwargs)

    monkeypatch.setattr(pipeline, "fit_here", fit_while_someone_rates)
    first = train_model_version()
    monkeypatch.setattr(pipeline, "fit_here", fit_here)
    second = train_model_version()

    assert second.n_interactions == first.n_interactions + 1
    assert first.config["watermark"]["ratings"] + 1 == second.config["watermark"]["ratings"]
    assert second.n_users == first.n_users + 1


def test_roll_back_serves_the_previously_active_version_again(tiny_catalog, media_root):
    first = train_model_version()
    second = train_model_version(force=True)

    assert model_version_rollback() == first
    assert list(ModelVersion.objects.active()) == [first]
    second.refresh_from_db()
    assert second.status == ModelVersion.Status.READY
    assert model_version_rollback() == second  # rolling back again undoes the roll-back


def test_a_failed_version_cannot_be_activated(tiny_catalog, media_root):
    failed = ModelVersion.objects.create(
        workspace_id=default_workspace_id(), algorithm="hybrid", status=ModelVersion.Status.FAILED
    )
    with pytest.raises(ValueError, match="cannot serve"):
        model_version_activate(version=failed)


def test_retention_deletes_old_artifacts_and_keeps_the_rows(tiny_catalog, media_root, settings):
    versions = [train_model_version(force=True) for _ in range(4)]
    model_version_activate(version=versions[0])  # an old version serving keeps its file
    settings.ENCORE_KEEP_VERSIONS = 2

    model_versions_retire()

    states = {v.pk: (v.status, bool(v.artifact)) for v in ModelVersion.objects.all()}
    assert states[versions[0].pk] == (ModelVersion.Status.ACTIVE, True)
    assert states[versions[1].pk] == (ModelVersion.Status.RETIRED, False)
    assert states[versions[2].pk] == (ModelVersion.Status.READY, True)
    assert states[versions[3].pk] == (ModelVersion.Status.READY, True)
    assert not (media_root / versions[1].artifact.name).exists()
    assert ModelVersion.objects.count() == 4


def test_train_command_runs_inline_and_prints_metrics_and_timings(tiny_catalog, media_root, capsys):
    call_command("train", "--inline")

    out = capsys.readouterr().out
    version = ModelVersion.objects.get()
    assert f"v{version.pk} " in out and "Active" in out
    assert "ndcg@10=" in out and "extract" in out and "total" in out


def test_on_large_data_the_holdout_model_fits_a_fixed_subset_of_users(db, media_root, settings):
    from tests.recommendations.builders import build_random_catalog

    build_random_catalog(n_users=120, n_items=60, per_user=15)
    settings.ENCORE_EVAL_MAX_INTERACTIONS = 1000

    first, second = train_model_version(), train_model_version()

    fitted = first.config["holdout"]["fitted_users"]
    assert 60 < fitted < 120 and second.config["holdout"] == first.config["holdout"]
    assert first.metrics == second.metrics and first.metrics["ndcg@10"] > 0


def test_a_run_whose_process_on_this_machine_is_gone_is_reaped_at_once(db):
    import socket
    import subprocess
    import sys

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = ModelVersion.objects.create(
        workspace_id=default_workspace_id(),
        algorithm="hybrid",
        heartbeat_at=timezone.now(),
        worker=f"{socket.gethostname()}:{finished.stdout.strip()}",
    )
    alive = ModelVersion(
        workspace_id=default_workspace_id(), algorithm="hybrid", heartbeat_at=timezone.now(), worker="elsewhere:1"
    )

    assert training_runs_reap() == [dead.pk]
    dead.refresh_from_db()
    assert dead.status == ModelVersion.Status.FAILED and "process is gone" in dead.error
    alive.save()
    assert training_runs_reap() == []


@pytest.mark.parametrize(
    ("algorithm", "weights", "sharded"),
    [
        ("itemknn", None, True),
        ("hybrid", {"ease": 1.0, "itemknn": 0.5}, True),
        ("hybrid", {"ease": 1.0, "userknn": 0.5}, False),  # no item-kNN in the blend: nothing worth spreading
        ("ease", None, False),
    ],
)
def test_only_a_model_with_item_knn_similarity_is_sharded(algorithm, weights, sharded):
    from recommendations.training.sharded import needs_similarity

    params = {"weights": weights} if algorithm == "hybrid" else {"k": 50}
    version = ModelVersion(algorithm=algorithm, config={"params": params})

    assert needs_similarity(version) is sharded
