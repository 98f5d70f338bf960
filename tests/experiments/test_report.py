"""An experiment's report on rows written by hand: every figure can be counted on the fingers."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from catalog.models import Interaction
from catalog.services import interaction_record
from core.workspaces import default_workspace
from experiments.attribution import attribute_pending
from experiments.models import Assignment, DailyStats, Engagement, Impression
from experiments.report import experiment_report
from experiments.stats import two_proportion_ztest
from recommendations.models import ModelVersion
from tests.factories import ExperimentFactory, ItemFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    workspace = default_workspace()
    items = [ItemFactory(title=f"Item {i}") for i in range(10)]  # 10 visible items
    ItemFactory(title="Hidden", is_active=False)  # not visible: not in the coverage's denominator
    version = ModelVersion.objects.create(workspace=workspace, algorithm="popularity", status="ready")
    experiment = ExperimentFactory(name="bars", status="running", started_at=timezone.now())
    VariantFactory(experiment=experiment, name="pop", model_version=version, algorithm="popularity")
    people = [UserFactory(username=f"p{i}") for i in range(6)]
    return workspace, items, experiment, people


def shown(experiment, variant, person, items, **fields) -> Impression:
    return Impression.objects.create(
        workspace=experiment.workspace, experiment=experiment, variant=variant, user=person, placement="top_picks",
        items=[item.pk for item in items], **fields,
    )  # fmt: skip


def engaged(impression, item, kind) -> Engagement:
    return Engagement.objects.create(
        impression=impression, user=impression.user, item=item, kind=kind, position=impression.items.index(item.pk) + 1
    )


def test_the_report_counts_raw_rows_and_pruned_days_per_variant(case):
    workspace, i, experiment, p = case
    for person, variant in [(p[0], "control"), (p[1], "control"), (p[2], "pop"), (p[3], "pop")]:
        Assignment.objects.create(experiment=experiment, user=person, variant=variant)
    # Control: 3 lists, 3 + 3 + 2 = 8 items shown, 5 distinct (i0..i4).
    l1 = shown(experiment, "control", p[0], [i[0], i[1], i[2]])
    shown(experiment, "control", p[0], [i[1], i[2], i[3]])
    l3 = shown(experiment, "control", p[1], [i[0], i[4]])
    engaged(l1, i[0], "click"), engaged(l1, i[1], "play"), engaged(l3, i[4], "rating")  # 2 lists, 3 clicks, 2 conv.
    # Candidate: 3 lists, 2 + 2 + 1 = 5 items, 4 distinct (i5..i8); p4 saw a list before any assignment row.
    l4 = shown(experiment, "pop", p[2], [i[5], i[6]])
    shown(experiment, "pop", p[3], [i[5], i[7]])
    shown(experiment, "pop", p[4], [i[8]])
    engaged(l4, i[6], "view")  # 1 list, 1 click, no conversion
    # Days rolled up and pruned: they add to the counts, not to people or coverage.
    old = date.today() - timedelta(days=120)
    pruned = [("control", "top_picks", (10, 40, 5, 6, 3)), ("control", "similar", (2, 8, 1, 1, 0)),
              ("pop", "top_picks", (7, 21, 1, 1, 1))]  # fmt: skip
    for variant, placement, (lists, impressions, clicked, clicks, conversions) in pruned:
        DailyStats.objects.create(
            workspace=workspace, day=old, experiment=experiment, variant=variant, placement=placement, lists=lists,
            impressions=impressions, people=99, clicked_lists=clicked, clicks=clicks, conversions=conversions,
        )  # fmt: skip
    # Not this experiment's: lists outside any experiment and another experiment's history.
    Impression.objects.create(workspace=workspace, user=p[5], placement="top_picks", items=[i[9].pk])
    other = ExperimentFactory(name="other", status="stopped")
    DailyStats.objects.create(workspace=workspace, day=old, experiment=other, variant="control", placement="x",
                              lists=1000, impressions=1000, clicked_lists=1000, clicks=1000)  # fmt: skip

    report = experiment_report(experiment)

    control, pop = report["variants"]
    assert control["name"] == "control" and control["model_version"] is None
    assert pop["name"] == "pop" and pop["algorithm"] == "popularity"
    # Control: lists 3 + 10 + 2 = 15; items 8 + 40 + 8 = 56; clicked 2 + 5 + 1 = 8; clicks 3 + 6 + 1 = 10;
    # conversions 2 + 3 + 0 = 5.
    assert {k: control[k] for k in ("people", "lists", "impressions", "clicked_lists", "clicks", "conversions")} == {
        "people": 2, "lists": 15, "impressions": 56, "clicked_lists": 8, "clicks": 10, "conversions": 5,
    }  # fmt: skip
    assert control["ctr_lists"] == pytest.approx(8 / 15) and control["ctr_items"] == pytest.approx(10 / 56)
    assert control["conversion_rate"] == pytest.approx(5 / 56) and control["coverage"] == pytest.approx(5 / 10)
    # Candidate: lists 3 + 7 = 10; items 5 + 21 = 26; clicked 1 + 1 = 2; clicks 1 + 1 = 2; conversions 0 + 1 = 1;
    # people: p2 and p3 assigned, p4 seen in a list.
    assert {k: pop[k] for k in ("people", "lists", "impressions", "clicked_lists", "clicks", "conversions")} == {
        "people": 3, "lists": 10, "impressions": 26, "clicked_lists": 2, "clicks": 2, "conversions": 1,
    }  # fmt: skip
    assert pop["ctr_lists"] == pytest.approx(0.2) and pop["coverage"] == pytest.approx(4 / 10)
    # The candidate against control: 2/10 clicked lists against 8/15.
    expected = two_proportion_ztest(8, 15, 2, 10)
    assert pop["vs_control"]["difference"] == pytest.approx(0.2 - 8 / 15)
    assert pop["vs_control"]["p_value"] == pytest.approx(expected.p_value)
    assert (pop["vs_control"]["ci_low"], pop["vs_control"]["ci_high"]) == pytest.approx(
        (expected.ci_low, expected.ci_high)
    )
    assert control["vs_control"] is None
    assert report["p_value"] == pytest.approx(expected.p_value)
    assert report["test"] == "two-proportion z-test on clicked lists / lists"
    assert (report["experiment"], report["status"], report["visible_items"]) == ("bars", "running", 10)


def test_the_smallest_candidate_p_value_is_the_reports(case):
    _, i, experiment, p = case
    VariantFactory(experiment=experiment, name="other")
    for n in range(20):
        shown(experiment, "control", p[0], [i[0]])
        shown(experiment, "pop", p[1], [i[0]])
        shown(experiment, "other", p[2], [i[0]])
    for impression in Impression.objects.filter(variant="control")[:10]:
        engaged(impression, i[0], "click")
    for impression in Impression.objects.filter(variant="pop")[:9]:
        engaged(impression, i[0], "click")

    report = experiment_report(experiment)

    by_name = {v["name"]: v for v in report["variants"]}
    assert by_name["other"]["clicked_lists"] == 0
    assert report["p_value"] == by_name["other"]["vs_control"]["p_value"] < by_name["pop"]["vs_control"]["p_value"]


def test_an_experiment_without_lists_has_no_rates_and_nothing_to_conclude(case):
    _, _, experiment, _ = case
    report = experiment_report(experiment)
    for variant in report["variants"]:
        assert variant["lists"] == variant["people"] == 0
        assert variant["ctr_lists"] is None and variant["ctr_items"] is None and variant["coverage"] == 0.0
    assert report["p_value"] == 1.0


def test_an_action_not_credited_yet_is_credited_before_the_report(case):
    _, i, experiment, p = case
    attribute_pending()  # attribution runs every minute: its first pass starts from now
    shown(experiment, "pop", p[2], [i[5], i[6]], shown_at=timezone.now() - timedelta(minutes=5))

    interaction_record(user=p[2], item=i[6], kind=Interaction.Kind.PLAY)
    pop = experiment_report(experiment)["variants"][1]

    assert (pop["clicked_lists"], pop["clicks"], pop["conversions"]) == (1, 1, 1)
    assert Engagement.objects.get().position == 2
