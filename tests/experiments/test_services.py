"""Experiments' write path: what an experiment may hold, one running per workspace, candidates that train
without serving, survive retention while their experiment needs them, and are promoted through the guard."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from core.models import Workspace
from core.workspaces import default_workspace
from experiments import serving
from experiments.models import CONTROL, Experiment
from experiments.services import (
    candidate_train,
    experiment_candidates_claim,
    experiment_candidates_train,
    experiment_create,
    experiment_promote,
    experiment_start,
    experiment_stop,
)
from recommendations.models import ModelVersion
from recommendations.training import model_versions_retire, train_model_version
from tests.factories import ExperimentFactory, UserFactory, VariantFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


def version_of(workspace, status=ModelVersion.Status.READY, **fields) -> ModelVersion:
    """A finished version row; its model file is not read by these tests."""
    fields.setdefault("artifact", f"models/{workspace.slug}/fake.npz")
    fields.setdefault("algorithm", "ease")
    return ModelVersion.objects.create(workspace=workspace, status=status, **fields)


@pytest.fixture
def workspace():
    return default_workspace()


# --- Creating -------------------------------------------------------------------------------------


def test_an_experiment_has_control_and_its_candidates_named_after_their_algorithm_or_version(workspace):
    version = version_of(workspace)

    experiment = experiment_create(
        workspace, "bars", 30, [{"name": "", "version": version, "algorithm": ""},
                                {"name": None, "version": None, "algorithm": "popularity"}],
    )  # fmt: skip

    assert experiment.status == Experiment.Status.DRAFT and experiment.traffic == 30
    variants = list(experiment.variants.values_list("name", "model_version_id", "algorithm"))
    assert variants == [(CONTROL, None, ""), (f"v{version.pk}", version.pk, ""), ("popularity", None, "popularity")]
    assert f"v{version.pk} (ease)" in experiment.note and "popularity, to train" in experiment.note


@pytest.mark.parametrize(
    ("name", "traffic", "message"),
    [("bars", 0, "from 1 to 100"), ("bars", 101, "from 1 to 100"), ("bad name!", 50, "not a valid experiment name"),
     ("", 50, "1 to 60 characters"), ("x" * 61, 50, "1 to 60 characters")],
)  # fmt: skip
def test_a_bad_name_or_share_is_refused(workspace, name, traffic, message):
    with pytest.raises(ValidationError, match=message):
        experiment_create(workspace, name, traffic, [{"algorithm": "popularity"}])
    assert not Experiment.objects.exists()


def test_a_name_is_unique_in_its_workspace_only(workspace):
    experiment_create(workspace, "bars", 50, [{"algorithm": "popularity"}])
    with pytest.raises(ValidationError, match="already has an experiment called 'bars'"):
        experiment_create(workspace, "bars", 50, [{"algorithm": "ease"}])
    experiment_create(WorkspaceFactory(slug="acme"), "bars", 50, [{"algorithm": "ease"}])
    assert Experiment.objects.filter(name="bars").count() == 2


@pytest.mark.parametrize(
    ("candidates", "message"),
    [([], "at least one candidate"), ([{"name": "x"}], "a model version or an algorithm"),
     ([{"algorithm": "magic"}], "Unknown algorithm 'magic': choose one of popularity, "),
     ([{"name": "control", "algorithm": "ease"}], "'control' is the serving model's variant"),
     ([{"algorithm": "ease"}, {"algorithm": "ease"}], "Two candidates are called 'ease'")],
)  # fmt: skip
def test_candidates_must_be_named_apart_and_say_what_serves_them(workspace, candidates, message):
    with pytest.raises(ValidationError, match=message):
        experiment_create(workspace, "bars", 50, candidates)


@pytest.mark.parametrize(
    "status", [ModelVersion.Status.TRAINING, ModelVersion.Status.FAILED, ModelVersion.Status.RETIRED,
               ModelVersion.Status.BROKEN],
)  # fmt: skip
def test_a_version_without_a_servable_model_cannot_be_a_candidate(workspace, status):
    with pytest.raises(ValidationError, match="only a finished version with its model file"):
        experiment_create(workspace, "bars", 50, [{"version": version_of(workspace, status)}])


def test_another_workspaces_version_cannot_be_a_candidate(workspace):
    foreign = version_of(WorkspaceFactory(slug="acme"))
    with pytest.raises(ValidationError, match="belongs to another workspace than default"):
        experiment_create(workspace, "bars", 50, [{"version": foreign}])


def test_a_version_named_with_another_algorithm_is_refused(workspace):
    with pytest.raises(ValidationError, match="is a ease model, not popularity"):
        experiment_create(workspace, "bars", 50, [{"version": version_of(workspace), "algorithm": "popularity"}])


# --- Starting and stopping ------------------------------------------------------------------------


def candidate_experiment(workspace, name="bars", traffic=100) -> Experiment:
    return experiment_create(workspace, name, traffic, [{"version": version_of(workspace), "name": "ease"}])


def test_starting_serves_the_candidate_at_once_and_stopping_serves_control_again(workspace):
    experiment = candidate_experiment(workspace)
    person = UserFactory()
    assert serving.choose(workspace_id=workspace.pk, user_id=person.pk) == serving.NO_EXPERIMENT  # now cached

    experiment_start(experiment)
    during = serving.choose(workspace_id=workspace.pk, user_id=person.pk)
    experiment_stop(experiment)
    after = serving.choose(workspace_id=workspace.pk, user_id=person.pk)

    assert (during.experiment_id, during.variant) == (experiment.pk, "ease")
    assert after == serving.NO_EXPERIMENT
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.STOPPED and experiment.started_at < experiment.stopped_at
    assert "Started: 100% of the people" in experiment.note and "Stopped." in experiment.note


def test_a_workspace_runs_one_experiment_at_a_time(workspace):
    first, second = candidate_experiment(workspace, "first"), candidate_experiment(workspace, "second")
    experiment_start(first)

    with pytest.raises(ValidationError, match="already runs the experiment 'first' .*: stop it first"):
        experiment_start(second)

    other = WorkspaceFactory(slug="acme")
    experiment_start(candidate_experiment(other, "first"))  # another workspace runs its own
    experiment_stop(first)
    experiment_start(second)
    assert set(Experiment.objects.filter(status="running").values_list("workspace__slug", "name")) == {
        ("default", "second"),
        ("acme", "first"),
    }


def test_only_a_draft_starts_and_only_a_running_experiment_stops(workspace):
    experiment = candidate_experiment(workspace)
    with pytest.raises(ValidationError, match="is not running .*draft"):
        experiment_stop(experiment)
    experiment_start(experiment)
    experiment_stop(experiment)
    with pytest.raises(ValidationError, match="only a draft experiment starts"):
        experiment_start(experiment)


def test_an_untrained_candidate_holds_the_start_back(workspace):
    experiment = experiment_create(workspace, "bars", 50, [{"algorithm": "popularity"}])
    with pytest.raises(ValidationError, match="Candidate popularity has no model yet"):
        experiment_start(experiment)


def test_a_candidate_whose_model_file_was_deleted_does_not_start(workspace):
    experiment = candidate_experiment(workspace)
    ModelVersion.objects.filter(pk=experiment.variants.get(name="ease").model_version_id).update(
        artifact="", status=ModelVersion.Status.RETIRED
    )
    with pytest.raises(ValidationError, match="cannot be a candidate"):
        experiment_start(experiment)


# --- Candidates: trained without serving, kept while needed ---------------------------------------


def test_a_trained_candidate_does_not_serve_nor_swallow_the_next_retraining(tiny_catalog, media_root, workspace):
    serving_version = train_model_version()
    Workspace.objects.filter(pk=workspace.pk).update(data_changed_at="2026-01-01T00:00:00Z")

    candidate = candidate_train(workspace, "popularity")

    serving_version.refresh_from_db()
    assert serving_version.status == ModelVersion.Status.ACTIVE
    assert candidate.status == ModelVersion.Status.READY and candidate.activated_at is None
    assert candidate.trigger == ModelVersion.Trigger.EXPERIMENT and candidate.artifact
    assert candidate.note.startswith("Experiment candidate: not activated")
    assert "ndcg@10" in candidate.metrics
    # The data changed before the candidate read it: the serving model still has to learn it.
    assert Workspace.objects.get(pk=workspace.pk).data_changed_at is not None


def test_a_draft_experiments_algorithms_are_trained_as_its_candidates(tiny_catalog, media_root, workspace):
    train_model_version()
    experiment = experiment_create(workspace, "bars", 50, [{"algorithm": "popularity"}])

    [(variant, version, seconds)] = experiment_candidates_train(experiment)

    assert variant.name == "popularity" and version.algorithm == "popularity" and seconds > 0
    assert experiment.variants.get(name="popularity").model_version == version
    assert experiment_start(experiment).is_running


def test_training_a_candidate_of_an_unknown_algorithm_is_refused(workspace):
    with pytest.raises(ValidationError, match="Unknown algorithm 'magic'"):
        candidate_train(workspace, "magic")


def test_retention_keeps_the_candidates_of_draft_and_running_experiments(workspace, settings):
    settings.ENCORE_KEEP_VERSIONS = 1
    drafted, running, stopped = (version_of(workspace) for _ in range(3))
    newest = version_of(workspace)
    VariantFactory(experiment=ExperimentFactory(name="d"), model_version=drafted)
    VariantFactory(experiment=ExperimentFactory(name="r", status=Experiment.Status.RUNNING), model_version=running)
    VariantFactory(experiment=ExperimentFactory(name="s", status=Experiment.Status.STOPPED), model_version=stopped)

    retired = model_versions_retire(workspace_id=workspace.pk)

    assert retired == [stopped.pk]
    kept = ModelVersion.objects.filter(pk__in=[drafted.pk, running.pk, newest.pk])
    assert all(v.status == ModelVersion.Status.READY and v.artifact for v in kept)


# --- Promotion --------------------------------------------------------------------------------------


@pytest.fixture
def trained(tiny_catalog, media_root, workspace):
    """The serving version and a running experiment of a popularity candidate."""
    serving_version = train_model_version()
    experiment = experiment_create(
        workspace, "bars", 50, [{"version": candidate_train(workspace, "popularity")}, {"algorithm": "ease"}]
    )
    experiment_candidates_train(experiment)
    experiment_start(experiment)
    candidate = experiment.variants.get(name=f"v{experiment.variants.exclude(name=CONTROL).first().model_version_id}")
    return serving_version, experiment, candidate.model_version


def ndcg(version, value):
    ModelVersion.objects.filter(pk=version.pk).update(metrics={**version.metrics, "ndcg@10": value})


def test_a_candidate_as_good_offline_is_promoted_and_the_experiment_stops(trained, workspace):
    serving_version, experiment, candidate = trained
    ndcg(serving_version, 0.30), ndcg(candidate, 0.31)

    experiment_promote(experiment, f"v{candidate.pk}")

    assert ModelVersion.objects.active().get(workspace=workspace) == candidate
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.STOPPED
    assert f"Promoted v{candidate.pk}: v{candidate.pk} now serves the workspace; stopped." in experiment.note
    assert serving.choose(workspace_id=workspace.pk, user_id=1) == serving.NO_EXPERIMENT


def test_a_worse_candidate_is_refused_unless_forced(trained, workspace):
    serving_version, experiment, candidate = trained
    ndcg(serving_version, 0.30), ndcg(candidate, 0.10)

    with pytest.raises(ValidationError, match=r"not promoted\. Not activated: ndcg@10 0\.1000 is below"):
        experiment_promote(experiment, f"v{candidate.pk}")
    experiment.refresh_from_db()
    assert experiment.is_running and "refused" in experiment.note
    assert ModelVersion.objects.active().get(workspace=workspace) == serving_version

    experiment_promote(experiment, f"v{candidate.pk}", force=True)
    candidate.refresh_from_db()
    assert candidate.status == ModelVersion.Status.ACTIVE and candidate.forced
    experiment.refresh_from_db()
    assert not experiment.is_running and "forced past the quality guard" in experiment.note


def test_a_stopped_experiments_candidate_can_still_be_promoted(trained, workspace):
    serving_version, experiment, candidate = trained
    ndcg(serving_version, 0.30), ndcg(candidate, 0.40)
    experiment_stop(experiment)

    experiment_promote(experiment, "ease")

    assert ModelVersion.objects.active().get(workspace=workspace).algorithm == "ease"


def test_control_and_unknown_variants_are_not_promoted(trained):
    _, experiment, _ = trained
    for name in ("control", "nothing"):
        with pytest.raises(ValidationError, match=f"has no candidate '{name}': its candidates are v"):
            experiment_promote(experiment, name)


def test_a_draft_claims_the_newest_candidate_trained_for_it_and_not_anothers(workspace):
    before = version_of(workspace, trigger="experiment", algorithm="popularity")  # trained before the draft
    experiment = experiment_create(workspace, "bars", 50, [{"algorithm": "popularity"}])
    ModelVersion.objects.filter(pk=before.pk).update(created_at=experiment.created_at - timedelta(minutes=1))
    mine = version_of(workspace, trigger="experiment", algorithm="popularity")
    version_of(workspace, algorithm="popularity")  # newer, but the workspace's own training: not a candidate
    version_of(workspace, trigger="experiment", algorithm="ease")  # newer, another algorithm
    other = experiment_create(workspace, "other", 50, [{"algorithm": "popularity"}])

    [claimed] = experiment_candidates_claim(experiment)

    assert claimed.model_version == mine
    assert experiment_candidates_claim(other) == []  # `mine` is taken; `before` predates it
    assert "Candidate popularity trained: " in Experiment.objects.get(pk=experiment.pk).note
