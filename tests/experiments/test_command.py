"""`manage.py experiment`: start trains its candidate, report --json ends with one JSON object, errors say why."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from experiments.models import Assignment, Engagement, Experiment, Impression
from recommendations.models import ModelVersion
from recommendations.training import train_model_version
from tests.factories import WorkspaceFactory

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("experiment", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def serving(tiny_catalog, media_root):
    return train_model_version()


def test_start_trains_a_candidate_that_does_not_serve_and_starts_the_experiment(serving):
    out = run("start", "bars-exp", "--algorithm", "popularity", "--traffic", "50")

    experiment = Experiment.objects.get(name="bars-exp")
    candidate = experiment.variants.get(name="popularity").model_version
    assert experiment.status == Experiment.Status.RUNNING and experiment.traffic == 50
    assert candidate.algorithm == "popularity" and candidate.status == ModelVersion.Status.READY
    assert ModelVersion.objects.active().get() == serving
    assert f"Trained {candidate} in " in out and "fit " in out and "ndcg@10 " in out
    assert "Experiment bars-exp started in workspace default: 50% of the people get popularity" in out
    assert f"everyone else gets control, the serving model {serving}" in out


def test_report_json_last_line_parses_with_the_figures_of_each_variant(serving, tiny_catalog):
    run("start", "bars-exp", "--algorithm", "popularity")
    experiment = Experiment.objects.get()
    fan, lover = tiny_catalog.fans[0], tiny_catalog.lovers[0]
    items = [item.pk for item in tiny_catalog.scifi[:4]]
    for person, variant in ((fan, "control"), (lover, "popularity")):
        Assignment.objects.create(experiment=experiment, user=person, variant=variant)
        for _ in range(2):
            Impression.objects.create(workspace=experiment.workspace, experiment=experiment, variant=variant,
                                      user=person, placement="api_recommendations", items=items)  # fmt: skip
    first = Impression.objects.filter(variant="control").first()
    Engagement.objects.create(impression=first, user=fan, item_id=items[0], kind="play", position=1)

    out = run("report", "bars-exp", "--json")

    report = json.loads(out.strip().splitlines()[-1])
    assert report["experiment"] == "bars-exp" and report["status"] == "running"
    assert report["test"] == "two-proportion z-test on clicked lists / lists"
    control, candidate = report["variants"]
    assert {k: control[k] for k in ("name", "people", "lists", "impressions", "clicks", "ctr", "conversions")} == {
        "name": "control", "people": 1, "lists": 2, "impressions": 8, "clicks": 1, "ctr": 0.5, "conversions": 1,
    }  # fmt: skip
    assert (candidate["name"], candidate["lists"], candidate["clicks"], candidate["ctr"]) == ("popularity", 2, 0, 0.0)
    assert report["p_value"] == candidate["vs_control"]["p_value"] and 0 < report["p_value"] < 1


def test_the_human_report_has_a_row_per_variant_and_names_the_test(serving):
    run("start", "bars-exp", "--algorithm", "popularity")

    lines = run("report", "bars-exp").splitlines()

    assert lines[0].startswith("Experiment bars-exp (default): running, 50% of people in candidates")
    assert lines[1].split()[:3] == ["variant", "model", "people"]
    assert lines[2].split()[:2] == ["control", "serving"]
    assert lines[3].split()[0] == "popularity" and "—" in lines[3]  # no lists yet: no rate
    assert lines[-1].startswith("Test: two-proportion z-test on clicked lists / lists")


def test_an_existing_version_is_a_candidate_without_training(serving):
    version = ModelVersion.objects.create(workspace=serving.workspace, algorithm="ease", status="ready",
                                          artifact=serving.artifact.name)  # fmt: skip

    out = run("start", "exp", "--version", str(version.pk), "--traffic", "10")

    assert "Trained" not in out
    assert Experiment.objects.get().variants.get(name=f"v{version.pk}").model_version == version


def test_stop_list_and_promote(serving):
    run("start", "bars-exp", "--algorithm", "popularity")
    candidate = Experiment.objects.get().variants.get(name="popularity").model_version
    ModelVersion.objects.filter(pk=serving.pk).update(metrics={"ndcg@10": 0.2})
    ModelVersion.objects.filter(pk=candidate.pk).update(metrics={"ndcg@10": 0.1})

    assert "stopped after 0.0 h" in run("stop", "bars-exp")
    listed = run("list").splitlines()
    assert listed[1].split()[:4] == ["default", "bars-exp", "stopped", "50%"]
    with pytest.raises(CommandError, match="popularity was not promoted. Not activated: ndcg@10 0.1000 is below"):
        run("promote", "bars-exp", "popularity")
    out = run("promote", "bars-exp", "popularity", "--force")

    assert f"Promoted popularity: v{candidate.pk} popularity (Active) now serves workspace default (forced" in out
    assert ModelVersion.objects.active().get() == candidate


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["stop", "nothing"], "Workspace default has no experiment 'nothing' \\(it has: none\\)"),
        (["report", "x", "--workspace", "nowhere"], 'no workspace "nowhere"'),
        (["start", "x", "--algorithm", "magic"], "invalid choice: 'magic'"),
        (["start", "x"], "Name the candidate: --algorithm ALGO"),
        (["start", "x", "--version", "999"], "Workspace default has no model version 999"),
        (["start", "x", "--algorithm", "popularity", "--traffic", "0"], "from 1 to 100"),
        (["start", "bad name", "--algorithm", "popularity"], "not a valid experiment name"),
    ],
)
def test_errors_say_what_is_wrong(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not ModelVersion.objects.exists()  # refused before any training


def test_a_second_experiment_is_refused_before_its_training(serving):
    run("start", "first", "--algorithm", "popularity")
    versions = ModelVersion.objects.count()

    with pytest.raises(CommandError, match="already runs the experiment 'first': stop it first"):
        run("start", "second", "--algorithm", "ease")
    with pytest.raises(CommandError, match="already has an experiment called 'first' \\(running\\)"):
        run("start", "first", "--algorithm", "ease")
    assert ModelVersion.objects.count() == versions


def test_another_workspace_runs_its_own(serving):
    WorkspaceFactory(slug="acme")
    run("start", "bars-exp", "--algorithm", "popularity")
    with pytest.raises(CommandError, match="Workspace acme has no experiment 'bars-exp'"):
        run("stop", "bars-exp", "--workspace", "acme")
