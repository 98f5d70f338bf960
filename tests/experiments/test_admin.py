"""Experiments in the admin: staff create one, start and stop it, read its report and promote a candidate,
within their own workspaces only."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from core.workspaces import default_workspace
from experiments.models import Engagement, Experiment, Impression
from experiments.services import candidate_train, experiment_create, experiment_start
from recommendations.models import ModelVersion
from recommendations.training import train_model_version
from tests.factories import ExperimentFactory, UserFactory, WorkspaceFactory
from tests.queues import queued_messages

pytestmark = pytest.mark.django_db


def staff_of(*workspaces, perms=("view_experiment", "change_experiment", "add_experiment", "delete_experiment")):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="experiments", codename__in=perms))
    for workspace in workspaces:
        workspace.staff.add(user)
    return user


@pytest.fixture
def running(tiny_catalog, media_root):
    """A running experiment of the website with a popularity candidate, and a few lists it served."""
    workspace = default_workspace()
    serving = train_model_version()
    candidate = candidate_train(workspace, "popularity")
    candidates = [{"version": candidate, "algorithm": "popularity"}]
    experiment = experiment_start(experiment_create(workspace, "bars", 50, candidates))
    items = [item.pk for item in tiny_catalog.scifi[:4]]
    for n, person in enumerate(tiny_catalog.fans[:4]):
        variant = "control" if n < 2 else "popularity"
        shown = Impression.objects.create(workspace=workspace, experiment=experiment, variant=variant, user=person,
                                          placement="top_picks", items=items)  # fmt: skip
        if variant == "control":
            Engagement.objects.create(impression=shown, user=person, item_id=items[1], kind="play", position=2)
    return serving, candidate, experiment


def change_url(experiment) -> str:
    return reverse("admin:experiments_experiment_change", args=[experiment.pk])


def shown_messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def report_rows(page: str) -> dict[str, list[str]]:
    rows = re.findall(r'<tr class="report-variant" data-variant="([^"]+)">(.*?)</tr>', page, re.S)
    return {name: [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
            for name, row in rows}  # fmt: skip


def test_the_change_page_shows_the_report_with_a_promote_button_per_candidate(client, running):
    _, candidate, experiment = running
    client.force_login(staff_of(default_workspace()))

    page = client.get(change_url(experiment)).content.decode()

    rows = report_rows(page)
    assert list(rows) == ["control", "popularity"]
    # variant, model, people, lists, items shown, clicked lists, clicks, CTR lists, ...
    assert rows["control"][:9] == ["control", "serving", "2", "2", "8", "2", "2", "100.00%", "25.00%"]
    assert rows["popularity"][:8] == ["popularity", f"v{candidate.pk}", "2", "2", "8", "0", "0", "0.00%"]
    assert rows["popularity"][12].startswith("-100.00 [")  # 0 of 2 clicked lists against 2 of 2
    assert page.count('class="experiment-promote"') == 1 and 'name="variant" value="popularity"' in page
    assert "two-proportion z-test on clicked lists / lists" in page


def test_promote_activates_the_candidate_through_the_guard(client, running):
    serving, candidate, experiment = running
    ModelVersion.objects.filter(pk=serving.pk).update(metrics={"ndcg@10": 0.3})
    ModelVersion.objects.filter(pk=candidate.pk).update(metrics={"ndcg@10": 0.05})
    client.force_login(staff_of(default_workspace()))
    url = reverse("admin:experiments_experiment_promote", args=[experiment.pk])

    refused = client.post(url, {"variant": "popularity"}, follow=True)
    assert "popularity was not promoted. Not activated: ndcg@10 0.0500" in shown_messages(refused)
    assert ModelVersion.objects.active().get() == serving

    promoted = client.post(url, {"variant": "popularity", "force": "on"}, follow=True)
    assert f"Promoted popularity: v{candidate.pk}" in shown_messages(promoted)
    assert ModelVersion.objects.active().get() == candidate
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.STOPPED


def test_promote_is_a_post_of_staff_who_may_change_experiments(client, running):
    _, candidate, experiment = running
    url = reverse("admin:experiments_experiment_promote", args=[experiment.pk])
    viewer = staff_of(default_workspace(), perms=("view_experiment",))
    client.force_login(viewer)

    assert client.get(url).status_code == 405
    assert client.post(url, {"variant": "popularity", "force": "on"}).status_code == 403
    page = client.get(change_url(experiment)).content.decode()
    assert report_rows(page) and 'class="experiment-promote"' not in page
    assert ModelVersion.objects.get(pk=candidate.pk).status == ModelVersion.Status.READY


def test_promote_needs_the_csrf_token(running):
    from django.test import Client

    _, candidate, experiment = running
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_of(default_workspace()))
    url = reverse("admin:experiments_experiment_promote", args=[experiment.pk])

    assert client.post(url, {"variant": "popularity", "force": "on"}).status_code == 403
    assert ModelVersion.objects.get(pk=candidate.pk).status == ModelVersion.Status.READY


def test_another_workspaces_staff_neither_see_nor_promote_it(client, running):
    _, candidate, experiment = running
    client.force_login(staff_of(WorkspaceFactory(slug="acme")))

    listed = client.get(reverse("admin:experiments_experiment_changelist"))
    assert listed.status_code == 200 and "bars" not in listed.content.decode()
    page = client.get(change_url(experiment))
    assert page.status_code == 302 and "popularity" not in client.get(page.url).content.decode()
    url = reverse("admin:experiments_experiment_promote", args=[experiment.pk])
    assert client.post(url, {"variant": "popularity", "force": "on"}).status_code == 404
    assert ModelVersion.objects.get(pk=candidate.pk).status == ModelVersion.Status.READY


def add_draft(client, workspace, **fields) -> Experiment:
    data = {"workspace": workspace.pk, "name": "bars", "traffic": 20, "versions": [], "algorithms": ["popularity"]}
    response = client.post(reverse("admin:experiments_experiment_add"), {**data, **fields})
    assert response.status_code == 302, response.context["adminform"].form.errors
    return Experiment.objects.get()


def test_staff_create_a_draft_and_start_it_which_trains_its_algorithm(client, tiny_catalog, media_root, monkeypatch):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)  # a one-process setup: the task runs here
    workspace = default_workspace()
    serving = train_model_version()
    client.force_login(staff_of(workspace))

    experiment = add_draft(client, workspace)
    assert experiment.status == "draft" and list(experiment.variants.values_list("name", flat=True)) == [
        "control", "popularity"
    ]  # fmt: skip
    page = client.get(change_url(experiment)).content.decode()
    assert "Still without a model: popularity" in page

    started = client.post(reverse("admin:experiments_experiment_start", args=[experiment.pk]), follow=True)

    candidate = experiment.variants.get(name="popularity").model_version
    assert shown_messages(started) == (
        f"bars started: 20% of default's people get a candidate. Trained the popularity candidate: {candidate}."
    )
    experiment.refresh_from_db()
    assert experiment.is_running and ModelVersion.objects.active().get() == serving
    assert candidate.status == ModelVersion.Status.READY and candidate.trigger == "experiment"
    stopped = client.post(reverse("admin:experiments_experiment_stop", args=[experiment.pk]), follow=True)
    assert "bars stopped: everyone in default gets control again." in shown_messages(stopped)


def test_with_workers_the_candidate_trains_on_them_and_start_takes_it_once_finished(
    client, tiny_catalog, media_root, memory_broker
):
    workspace = default_workspace()
    train_model_version()
    client.force_login(staff_of(workspace))
    experiment = add_draft(client, workspace)
    url = reverse("admin:experiments_experiment_start", args=[experiment.pk])

    queued = client.post(url, follow=True)

    assert "training of the popularity candidate is queued on the workers" in shown_messages(queued)
    [message] = queued_messages()
    assert message["task"] == "recommendations.train_model"
    assert "'trigger': 'experiment'" in message["kwargs"] and "'algorithm': 'popularity'" in message["kwargs"]
    experiment.refresh_from_db()
    assert experiment.status == "draft"

    version = train_model_version(trigger="experiment", algorithm="popularity")  # what the worker does
    started = client.post(url, follow=True)

    assert shown_messages(started).startswith("bars started: 20%")
    assert experiment.variants.get(name="popularity").model_version == version


def test_the_add_form_refuses_what_the_services_refuse(client):
    workspace = default_workspace()
    ExperimentFactory(name="bars")
    foreign = ModelVersion.objects.create(workspace=WorkspaceFactory(slug="acme"), algorithm="ease", status="ready",
                                          artifact="models/acme/x.npz")  # fmt: skip
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:experiments_experiment_add")

    def errors(**fields):
        data = {"workspace": workspace.pk, "name": "new", "traffic": 50, **fields}
        response = client.post(url, data)
        assert response.status_code == 200
        form = response.context["adminform"].form
        return " ".join(" ".join(e) for e in form.errors.values())

    assert "at least one candidate" in errors()
    assert "already has an experiment called" in errors(name="bars", algorithms=["ease"])
    assert "Choose only from this object's own workspace" in errors(versions=[foreign.pk])
    assert Experiment.objects.count() == 1


def test_list_actions_start_and_stop_within_the_staff_members_workspace(client):
    ours = ExperimentFactory(name="ours")
    theirs = ExperimentFactory(name="theirs", workspace=WorkspaceFactory(slug="acme"))
    for experiment in (ours, theirs):
        version = ModelVersion.objects.create(workspace=experiment.workspace, algorithm="ease", status="ready",
                                              artifact="models/x.npz")  # fmt: skip
        experiment.variants.create(name="ease", model_version=version)
    client.force_login(staff_of(default_workspace()))
    url = reverse("admin:experiments_experiment_changelist")

    client.post(url, {"action": "start", "_selected_action": [ours.pk, theirs.pk]}, follow=True)

    assert dict(Experiment.objects.values_list("name", "status")) == {"ours": "running", "theirs": "draft"}
    page = client.get(url).content.decode()
    assert "ours" in page and "50%" in page and "theirs" not in page
    client.post(url, {"action": "stop", "_selected_action": [ours.pk]}, follow=True)
    assert Experiment.objects.get(pk=ours.pk).status == "stopped"
    assert Experiment.objects.get(pk=ours.pk).stopped_at <= timezone.now()
