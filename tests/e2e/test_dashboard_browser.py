"""The admin's dashboard in a real, headless Chromium: staff log in and every chart is drawn."""

import datetime

import pytest
from django.contrib.auth.models import Permission

from catalog.models import Interaction
from experiments.models import Engagement, Impression
from recommendations.models import ModelVersion
from tests.conftest import CHROMEDRIVER, CHROMIUM
from tests.factories import ItemFactory, UserFactory, WorkspaceFactory

PASSWORD = "teal-Harbour-Compass-57"
CHARTS = ["activity", "lists", "ctr", "coverage", "models"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),  # the live server thread must see the test's data
]


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
    ):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, read back below
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()


def wait_for(driver, condition, timeout=15):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: condition(d))


def a_month_of(workspace):
    """Plays, lists of two variants and clicks on each of the last days, and two model versions."""
    now = datetime.datetime.now(datetime.UTC)
    items = [ItemFactory(workspace=workspace, title=f"Film {i}") for i in range(12)]
    people = [UserFactory(username=f"viewer{i}") for i in range(6)]
    for days_ago in range(10):
        when = now - datetime.timedelta(days=days_ago)
        for n, person in enumerate(people):
            Interaction.objects.create(user=person, item=items[n], kind=Interaction.Kind.PLAY, created_at=when)
            shown = items[(n + days_ago) % 6 :][:5]
            impression = Impression.objects.create(
                workspace=workspace, user=person, placement="top-picks", variant=("control", "candidate")[n % 2],
                items=[i.pk for i in shown], shown_at=when,
            )  # fmt: skip
            if n % 3 == 0:
                Engagement.objects.create(impression=impression, user=person, item=shown[0], kind="click", position=1)
    for days_ago, ndcg in ((20, 0.31), (3, 0.36)):
        version = ModelVersion.objects.create(
            workspace=workspace, algorithm="ease", status="retired" if days_ago == 20 else "active",
            metrics={"ndcg@10": ndcg}, timings={"fit": 12.5, "evaluate": 3.0},
        )  # fmt: skip
        ModelVersion.objects.filter(pk=version.pk).update(created_at=now - datetime.timedelta(days=days_ago))


def test_staff_log_in_and_see_every_chart_of_their_workspace_drawn(browser, live_server):
    workspace = WorkspaceFactory(slug="acme", name="Acme Streaming")
    WorkspaceFactory(slug="bravo", name="Bravo Books")
    a_month_of(workspace)
    staff = UserFactory(username="analyst", is_staff=True, password=PASSWORD)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="core"))
    workspace.staff.add(staff)

    browser.get(live_server.url + "/admin/login/")
    browser.find_element("css selector", "#id_username").send_keys("analyst")
    browser.find_element("css selector", "#id_password").send_keys(PASSWORD)
    browser.find_element("css selector", "input[type=submit]").click()
    wait_for(browser, lambda d: d.find_elements("css selector", "#dashboard-module a"))

    # From the admin's home to the dashboard, which opens on the staff member's only workspace.
    browser.find_element("css selector", "#dashboard-module a").click()
    wait_for(browser, lambda d: d.execute_script("return window.Chart && Object.keys(Chart.instances).length") == 5)
    assert "Dashboard: Acme Streaming" in browser.page_source
    assert "Bravo Books" not in browser.page_source

    drawn = browser.execute_script(
        """
        return arguments[0].map(function (key) {
          const canvas = document.getElementById("chart-" + key);
          const chart = Chart.getChart(canvas);
          const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
          let inked = 0;
          for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) { inked++; } }
          return {key: key, width: canvas.clientWidth, height: canvas.clientHeight, inked: inked,
                  datasets: chart ? chart.data.datasets.map(d => d.label) : null,
                  points: chart ? chart.getDatasetMeta(0).data.length : 0};
        });
        """,
        CHARTS,
    )
    by_key = {chart["key"]: chart for chart in drawn}
    for key in CHARTS:
        chart = by_key[key]
        assert chart["width"] > 200 and chart["height"] > 100, chart
        assert chart["inked"] > 2000, chart  # axes, labels and data were painted, not an empty canvas
    assert by_key["activity"]["datasets"] == ["Events (interactions and ratings)", "Active people"]
    assert by_key["lists"]["datasets"] == ["control", "candidate"] and by_key["lists"]["points"] == 30
    assert by_key["ctr"]["datasets"] == ["control", "candidate"]
    assert by_key["models"]["datasets"] == ["nDCG@10 (holdout)", "Training time (s)"]
    assert by_key["models"]["points"] == 2

    # The numbers are there for those who read: a table per chart, behind a disclosure.
    summaries = browser.find_elements("css selector", ".dashboard-chart details summary")
    assert len(summaries) == 5
    summaries[4].click()
    assert "0.3600" in browser.find_elements("css selector", ".dashboard-chart details table")[4].text

    errors = [
        entry
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]
    ]
    assert errors == []
