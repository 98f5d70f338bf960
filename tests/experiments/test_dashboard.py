"""The admin's dashboard: its figures against hand-built rows, and who may see which workspace's."""

import datetime
import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from catalog.models import Interaction, Rating
from experiments import dashboard
from experiments.dashboard import Period
from experiments.models import DailyStats, Engagement, Impression
from recommendations.models import ModelVersion
from tests.factories import ItemFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
DAY1, DAY2, DAY3 = datetime.date(2025, 3, 1), datetime.date(2025, 3, 2), datetime.date(2025, 3, 3)
PERIOD = Period(DAY1, DAY3)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=UTC)


def event(user, item, when, kind=Interaction.Kind.PLAY):
    return Interaction.objects.create(user=user, item=item, kind=kind, created_at=when)


def rating(user, item, when, value=4.0):
    return Rating.objects.create(user=user, item=item, value=value, created_at=when, updated_at=when)


def shown(workspace, items, when, *, variant="control", user=None, placement="top-picks"):
    return Impression.objects.create(
        workspace=workspace, user=user, placement=placement, variant=variant, items=[i.pk for i in items], shown_at=when
    )


def clicked(impression, user, item, kind=Engagement.Kind.CLICK):
    position = impression.items.index(item.pk) + 1
    return Engagement.objects.create(impression=impression, user=user, item=item, kind=kind, position=position)


# --- The period ----------------------------------------------------------------------------------


def test_a_period_is_utc_days_both_ends_included_and_thirty_days_by_default():
    period = Period.ending(DAY3)
    assert len(period) == 30 and period.last == DAY3 and period.first == DAY3 - datetime.timedelta(days=29)
    assert period.days[0] == period.first and period.days[-1] == DAY3 and len(period.days) == 30
    assert PERIOD.since == datetime.datetime(2025, 3, 1, tzinfo=UTC)
    assert PERIOD.until == datetime.datetime(2025, 3, 4, tzinfo=UTC)
    with pytest.raises(ValueError):
        Period(DAY2, DAY1)
    with pytest.raises(ValueError):
        Period(DAY1, DAY1 + datetime.timedelta(days=dashboard.MAX_DAYS))
    assert len(Period(DAY1, DAY1 + datetime.timedelta(days=dashboard.MAX_DAYS - 1))) == dashboard.MAX_DAYS


# --- Events and people ---------------------------------------------------------------------------


def test_events_and_active_people_per_utc_day_count_each_person_once_a_day():
    workspace, other = WorkspaceFactory(slug="acme"), WorkspaceFactory(slug="bravo")
    film, song = ItemFactory(workspace=workspace), ItemFactory(workspace=workspace)
    theirs = ItemFactory(workspace=other)
    ann, bob, cat = UserFactory(username="ann"), UserFactory(username="bob"), UserFactory(username="cat")

    # Day 1: Ann plays twice and rates (one person); Bob only rates, at the last minute of the day.
    event(ann, film, at(DAY1, 0, 0))
    event(ann, song, at(DAY1, 12))
    rating(ann, film, at(DAY1, 13))
    rating(bob, song, at(DAY1, 23, 59))
    # Day 2: nothing. Day 3: Cat likes at midnight; Bob rates at once and plays later.
    event(cat, film, at(DAY3, 0, 0), kind=Interaction.Kind.LIKE)
    rating(bob, film, at(DAY3, 8))
    event(bob, film, at(DAY3, 9))
    # Outside the period, and another workspace's items: not counted.
    event(ann, film, at(DAY1, 0) - datetime.timedelta(seconds=1))
    event(ann, film, at(DAY3, 0) + datetime.timedelta(days=1))
    event(ann, theirs, at(DAY2, 10))
    rating(cat, theirs, at(DAY2, 10))

    activity = dashboard.activity(workspace.pk, PERIOD)
    assert activity.days == [DAY1, DAY2, DAY3]
    assert activity.interactions == [2, 0, 2]
    assert activity.ratings == [2, 0, 1]
    assert activity.events == [4, 0, 3]
    assert activity.people == [2, 0, 2]


def test_a_changed_rating_counts_on_the_day_it_changed():
    workspace = WorkspaceFactory(slug="acme")
    film = ItemFactory(workspace=workspace)
    ann = UserFactory(username="ann")
    Rating.objects.create(user=ann, item=film, value=3.0, created_at=at(DAY1, 9), updated_at=at(DAY2, 9))

    activity = dashboard.activity(workspace.pk, PERIOD)
    assert activity.ratings == [0, 1, 0] and activity.people == [0, 1, 0]


# --- Lists and CTR -------------------------------------------------------------------------------


def test_lists_and_clicked_lists_per_day_per_variant_from_raw_and_rolled_up_days():
    workspace, other = WorkspaceFactory(slug="acme"), WorkspaceFactory(slug="bravo")
    items = [ItemFactory(workspace=workspace) for _ in range(4)]
    ann = UserFactory(username="ann")

    # Day 1 was rolled up: two placements of control, one of the candidate.
    for placement, variant, lists, clicked_lists in (
        ("top-picks", "control", 10, 3),
        ("trending", "control", 5, 1),
        ("top-picks", "candidate", 8, 4),
    ):
        DailyStats.objects.create(
            workspace=workspace, day=DAY1, variant=variant, placement=placement, lists=lists,
            impressions=lists * 4, people=2, clicked_lists=clicked_lists, clicks=clicked_lists,
        )  # fmt: skip
    # Day 2 has raw rows: 3 control lists, one clicked twice and played; 1 candidate list, not clicked.
    first = shown(workspace, items, at(DAY2, 10), user=ann)
    clicked(first, ann, items[0])
    clicked(first, ann, items[0], kind=Engagement.Kind.PLAY)
    clicked(first, ann, items[2])
    second = shown(workspace, items, at(DAY2, 11), user=ann)
    clicked(second, ann, items[1])
    shown(workspace, items, at(DAY2, 23, 59))
    shown(workspace, items, at(DAY2, 12), variant="candidate")
    # A DailyStats row of a day that still has raw rows is not counted twice.
    DailyStats.objects.create(workspace=workspace, day=DAY2, variant="control", placement="top-picks", lists=99)
    # Another workspace's lists are not these.
    shown(other, [ItemFactory(workspace=other)], at(DAY2, 10), variant="elsewhere")

    served = dashboard.lists_served(workspace.pk, PERIOD)
    assert served.variants == ["control", "candidate"]
    assert served.lists == {"control": [15, 3, 0], "candidate": [8, 1, 0]}
    assert served.clicked == {"control": [4, 2, 0], "candidate": [4, 0, 0]}
    assert served.ctr("control") == [4 / 15, 2 / 3, None]
    assert served.ctr("candidate") == [0.5, 0.0, None]
    assert served.rolled_up == [DAY1]


def test_no_lists_in_the_period_means_no_variant():
    workspace = WorkspaceFactory(slug="acme")
    served = dashboard.lists_served(workspace.pk, PERIOD)
    assert served.variants == [] and served.rolled_up == []


# --- Catalog coverage ----------------------------------------------------------------------------


def test_coverage_is_distinct_items_shown_that_day_over_visible_items_and_unknown_for_rolled_up_days():
    workspace = WorkspaceFactory(slug="acme")
    items = [ItemFactory(workspace=workspace) for _ in range(8)]
    ItemFactory(workspace=workspace, is_active=False)  # hidden: not part of the visible catalog
    ItemFactory(workspace=WorkspaceFactory(slug="bravo"))
    shown(workspace, items[:3], at(DAY2, 1))
    shown(workspace, items[2:5], at(DAY2, 23, 59), variant="candidate")  # items[2] again: 5 distinct
    shown(workspace, items[:1], at(DAY3, 0))

    coverage = dashboard.catalog_coverage(workspace.pk, PERIOD, rolled_up=[DAY1])
    assert coverage.visible == 8
    assert coverage.shown == [None, 5, 1]
    assert coverage.share == [None, 5 / 8, 1 / 8]
    assert coverage.rolled_up == [DAY1]

    nothing_rolled = dashboard.catalog_coverage(workspace.pk, PERIOD)
    assert nothing_rolled.shown == [0, 5, 1] and nothing_rolled.rolled_up == []


# --- Model versions ------------------------------------------------------------------------------


def test_model_versions_of_the_period_oldest_first_with_ndcg_and_training_seconds():
    workspace, other = WorkspaceFactory(slug="acme"), WorkspaceFactory(slug="bravo")

    def version(when, **fields):
        made = ModelVersion.objects.create(workspace=fields.pop("workspace", workspace), **fields)
        ModelVersion.objects.filter(pk=made.pk).update(created_at=when)  # created_at is set on insert
        return made

    later = version(
        at(DAY3, 2), algorithm="ease", status="active", metrics={"ndcg@10": 0.41},
        timings={"read": 1.5, "fit": 10.25, "evaluate": 2, "note": "not a number"},
    )  # fmt: skip
    earlier = version(at(DAY1, 5), algorithm="popularity", status="retired", metrics={"ndcg@10": 0.2}, timings={})
    failed = version(at(DAY2, 5), algorithm="als", status="failed")
    version(at(DAY1, 0) - datetime.timedelta(seconds=1), algorithm="ease", metrics={"ndcg@10": 0.9})
    version(at(DAY2, 5), algorithm="ease", workspace=other)

    versions = dashboard.model_versions(workspace.pk, PERIOD)
    assert [v.pk for v in versions] == [earlier.pk, failed.pk, later.pk]
    assert [(v.algorithm, v.status, v.ndcg, v.seconds) for v in versions] == [
        ("popularity", "retired", 0.2, 0.0),
        ("als", "failed", None, 0.0),
        ("ease", "active", 0.41, 13.75),
    ]
    assert versions[2].created_at == at(DAY3, 2)


# --- The page and who may see it -----------------------------------------------------------------

URL = reverse("admin:core_workspace_dashboard")


def staff_of(*workspaces, username="staff"):
    user = UserFactory(username=username, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="core"))
    for workspace in workspaces:
        workspace.staff.add(user)
    return user


@pytest.fixture
def acme():
    workspace = WorkspaceFactory(slug="acme", name="Acme Streaming")
    today = datetime.datetime.now(UTC)
    items = [ItemFactory(workspace=workspace, title=f"Acme film {i}") for i in range(4)]
    viewer = UserFactory(username="viewer")
    event(viewer, items[0], today)
    clicked(shown(workspace, items[:2], today, user=viewer), viewer, items[1])
    shown(workspace, items[2:], today, variant="candidate")
    return workspace


@pytest.fixture
def bravo():
    return WorkspaceFactory(slug="bravo", name="Bravo Books")


def charts_of(response) -> list[dict]:
    found = response.content.decode().split('<script id="dashboard-data" type="application/json">')[1]
    return json.loads(found.split("</script>")[0])


def test_superusers_see_any_workspace_with_every_chart_and_its_numbers(client, acme, bravo):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    response = client.get(URL, {"workspace": acme.pk})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Dashboard: Acme Streaming" in page
    charts = {chart["key"]: chart for chart in charts_of(response)}
    assert list(charts) == ["activity", "lists", "ctr", "coverage", "models"]
    for key in charts:
        assert f'<canvas id="chart-{key}"' in page
    assert len(charts["activity"]["labels"]) == 30
    assert charts["activity"]["series"][0]["data"][-1] == 1  # today's play
    assert [s["label"] for s in charts["lists"]["series"]] == ["control", "candidate"]
    assert charts["ctr"]["series"][0]["data"][-1] == 100.0 and charts["ctr"]["series"][1]["data"][-1] == 0.0
    assert charts["coverage"]["series"][0]["data"][-1] == 100.0  # all 4 items were shown today
    assert page.count("<details>") == 5 and "100.0%" in page
    assert 'src="/static/vendor/chartjs/chart.umd.js"' in page and 'src="/static/js/dashboard.js"' in page
    # Both workspaces are offered; the other one's page is there too.
    assert ">Bravo Books (bravo)</option>" in page
    assert client.get(URL, {"workspace": bravo.pk}).status_code == 200


def test_staff_see_only_their_workspace_and_not_another(client, acme, bravo):
    client.force_login(staff_of(acme))
    response = client.get(URL)
    assert response.status_code == 200 and "Dashboard: Acme Streaming" in response.content.decode()
    default = Period.ending()
    assert f'value="{default.first.isoformat()}"' in response.content.decode()  # the days shown, in the form
    assert "Bravo Books" not in response.content.decode()
    assert client.get(URL, {"workspace": acme.pk}).status_code == 200
    assert client.get(URL, {"workspace": bravo.pk}).status_code == 404
    assert client.get(URL, {"workspace": "acme"}).status_code == 404


def test_staff_of_no_workspace_or_without_the_permission_are_refused(client, acme):
    client.force_login(staff_of(username="nowhere"))
    assert client.get(URL).status_code == 403
    unpermitted = UserFactory(username="unpermitted", is_staff=True)
    acme.staff.add(unpermitted)
    client.force_login(unpermitted)
    assert client.get(URL, {"workspace": acme.pk}).status_code == 403


def test_anonymous_visitors_and_people_who_are_not_staff_are_sent_to_the_admin_login(client, acme):
    response = client.get(URL, {"workspace": acme.pk})
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    client.force_login(UserFactory(username="member"))
    response = client.get(URL, {"workspace": acme.pk})
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_chosen_days_narrow_the_charts_and_bad_days_fall_back_to_the_last_thirty(client, acme):
    client.force_login(staff_of(acme))
    response = client.get(URL, {"workspace": acme.pk, "first": "2025-03-01", "last": "2025-03-03"})
    assert charts_of(response)[0]["labels"] == ["Mar 1", "Mar 2", "Mar 3"]
    assert "2025-03-01 to 2025-03-03, UTC days." in response.content.decode()
    backwards = client.get(URL, {"workspace": acme.pk, "first": "2025-03-03", "last": "2025-03-01"})
    assert backwards.status_code == 200 and "Choose other days" in backwards.content.decode()
    assert len(charts_of(backwards)[0]["labels"]) == 30


def test_the_admin_home_and_each_workspace_page_link_to_the_dashboard(client, acme):
    client.force_login(staff_of(acme))
    assert f'href="{URL}"' in client.get(reverse("admin:index")).content.decode()
    page = client.get(reverse("admin:core_workspace_change", args=[acme.pk])).content.decode()
    assert f'href="{URL}?workspace={acme.pk}"' in page


def test_the_figures_take_as_many_queries_for_a_busy_month_as_for_an_empty_one(django_assert_num_queries):
    from experiments.dashboard_views import dashboard_charts

    quiet, busy = WorkspaceFactory(slug="quiet"), WorkspaceFactory(slug="busy")
    items = [ItemFactory(workspace=busy) for _ in range(5)]
    people = [UserFactory(username=f"p{i}") for i in range(5)]
    for day in PERIOD.days:
        for n, person in enumerate(people):
            event(person, items[n], at(day, n))
            if day == DAY1:
                rating(person, items[n], at(day, n))
            clicked(shown(busy, items, at(day, n), user=person, variant=f"v{n % 2}"), person, items[n])
        ModelVersion.objects.create(workspace=busy, algorithm="ease", status="ready", metrics={"ndcg@10": 0.3})
    ModelVersion.objects.filter(workspace=busy).update(created_at=at(DAY2, 1))
    DailyStats.objects.create(workspace=busy, day=DAY1 - datetime.timedelta(days=1), placement="top-picks", lists=3)

    with django_assert_num_queries(8):  # events 3, lists 2, coverage 2, versions 1
        dashboard_charts(quiet.pk, Period(DAY1 - datetime.timedelta(days=1), DAY3))
    with django_assert_num_queries(8):
        charts = dashboard_charts(busy.pk, Period(DAY1 - datetime.timedelta(days=1), DAY3))
    assert charts[1].series[0].data == [3, 0, 0, 0]  # the rolled-up day, then raw days without control
    assert charts[1].series[1].data == [0, 3, 3, 3] and charts[1].series[2].data == [0, 2, 2, 2]
    assert len(charts[4].labels) == 3
