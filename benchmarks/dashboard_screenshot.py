"""The admin dashboard's screenshot in the docs, taken against a month of demo traffic.

VAR_DIR=var/dash-demo .venv/bin/python -m benchmarks.dashboard_screenshot --out docs/dashboard.png

On a scratch SQLite database under VAR_DIR (refused elsewhere): migrates, imports the demo catalog
(data/ml-latest-small) and trains a few model versions (spread over the month), then records a
month of an experiment's traffic through the ORM: each day some demo people get lists (`control`:
their feed; `candidate`: their feed re-ranked for diversity), click, play and rate some of what
they were shown. Then serves the site and photographs /admin/core/workspace/dashboard/ in
headless Chromium (/usr/bin/chromium and /usr/bin/chromedriver). Running it again reuses the
catalog, models and traffic.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAYS = 30
ALGORITHMS = [("popularity", 27), ("itemknn", 20), ("ease", 13), ("hybrid", 6), ("hybrid", 1)]  # (algorithm, days ago)


def setup(var_dir: str) -> None:
    os.environ["VAR_DIR"] = var_dir
    if "DATABASE_URL" in os.environ:
        sys.exit("dashboard_screenshot: unset DATABASE_URL, it writes a scratch SQLite database under VAR_DIR")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def catalog_and_models() -> None:
    """The demo catalog and model versions created on several days of the month."""
    from django.core.management import call_command

    from catalog.models import Item
    from core.workspaces import default_workspace_id
    from recommendations.models import ModelVersion
    from recommendations.training import train_model_version

    call_command("migrate", verbosity=0)
    workspace = default_workspace_id()
    if not Item.objects.of(workspace).exists():
        call_command("import_movielens", str(ROOT / "data" / "ml-latest-small"), verbosity=0)
    if ModelVersion.objects.filter(workspace_id=workspace).count() >= len(ALGORITHMS):
        return
    now = datetime.datetime.now(datetime.UTC)
    for algorithm, days_ago in ALGORITHMS:
        version = train_model_version(workspace_id=workspace, algorithm=algorithm, force=True)
        created = now - datetime.timedelta(days=days_ago, hours=random.uniform(0, 6))
        ModelVersion.objects.filter(pk=version.pk).update(created_at=created)
        print(f"trained v{version.pk} {algorithm}: {version.status}, nDCG@10 {version.metrics.get('ndcg@10')}")


def month_of_traffic(seed: int = 7) -> None:
    """An experiment's month: lists, clicks, plays and ratings of a few hundred demo people a day."""
    from django.contrib.auth import get_user_model

    from catalog.models import Interaction, Rating
    from catalog.services import item_stats_refresh
    from core.workspaces import default_workspace_id
    from experiments.models import Engagement, Experiment, Impression, Variant
    from recommendations.serving import feed_for_user

    workspace = default_workspace_id()
    if Impression.objects.filter(workspace_id=workspace).exists():
        return
    rng = random.Random(seed)
    today = datetime.datetime.now(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - datetime.timedelta(days=DAYS - 1)
    experiment = Experiment.objects.create(
        workspace_id=workspace, name="diversity-trial", traffic=50, status=Experiment.Status.RUNNING,
        started_at=start, note="Demo traffic for the dashboard's screenshot.",
    )  # fmt: skip
    Variant.objects.create(experiment=experiment, name="control")
    Variant.objects.create(experiment=experiment, name="candidate", algorithm="hybrid")

    people = list(get_user_model().objects.filter(username__startswith="demo").order_by("pk"))
    variant_of = {p.pk: ("control", "candidate")[rng.random() < 0.5] for p in people}
    print(f"lists for {len(people)} people…")
    feeds = {
        p.pk: [
            r.item.pk
            for r in feed_for_user(
                user=p, workspace=workspace, limit=40, diversity=0.7 if variant_of[p.pk] == "candidate" else None
            )
        ]
        for p in people
    }
    rated = set(Rating.objects.values_list("user_id", "item_id"))
    impressions, engagements, events, ratings = [], [], [], []
    for day in range(DAYS):
        midnight = start + datetime.timedelta(days=day)
        weekend = midnight.weekday() >= 5
        growth = 1 + day / DAYS / 2
        active = rng.sample(people, min(len(people), int(rng.gauss(150 if weekend else 110, 12) * growth)))
        for person in active:
            variant, feed = variant_of[person.pk], feeds[person.pk]
            if not feed:
                continue
            for _ in range(rng.randint(1, 4)):
                when = midnight + datetime.timedelta(seconds=rng.randrange(86_400))
                offset = rng.randrange(max(1, len(feed) - 10))
                shown = feed[offset : offset + 10]
                impression = Impression(
                    workspace_id=workspace, user=person, placement="top-picks", experiment=experiment,
                    variant=variant, items=shown, shown_at=when,
                )  # fmt: skip
                impressions.append(impression)
                events.append(Interaction(user=person, item_id=shown[0], kind="view", created_at=when))
                if rng.random() < (0.27 if variant == "candidate" else 0.22) + rng.gauss(0, 0.02):
                    position = min(int(rng.expovariate(0.45)), len(shown) - 1) + 1
                    item = shown[position - 1]
                    at = when + datetime.timedelta(seconds=rng.randrange(5, 600))
                    kind = rng.choice(["click", "click", "play", "like"])
                    engagements.append(
                        Engagement(
                            impression=impression, user=person, item_id=item, kind=kind, position=position, at=at
                        )
                    )
                    event = "like" if kind == "like" else "play"
                    events.append(Interaction(user=person, item_id=item, kind=event, created_at=at))
                    if rng.random() < 0.3 and (person.pk, item) not in rated:
                        rated.add((person.pk, item))
                        value = rng.choice([3.0, 3.5, 4.0, 4.0, 4.5, 5.0])
                        ratings.append(Rating(user=person, item_id=item, value=value, created_at=at, updated_at=at))
    Impression.objects.bulk_create(impressions, batch_size=2000)
    Engagement.objects.bulk_create(engagements, batch_size=2000)
    Interaction.objects.bulk_create(events, batch_size=2000)
    Rating.objects.bulk_create(ratings, batch_size=2000)
    item_stats_refresh()
    print(f"{len(impressions)} lists, {len(engagements)} engagements, {len(events)} events, {len(ratings)} ratings")


def screenshot(out: Path, var_dir: str, port: int = 8765) -> None:
    """Serve the scratch site, log in as a scratch superuser and photograph the dashboard."""
    from django.contrib.auth import get_user_model
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    password = secrets.token_urlsafe(12)
    admin, _ = get_user_model().objects.get_or_create(username="dash-admin", defaults={"is_staff": True})
    admin.is_staff = admin.is_superuser = True
    admin.set_password(password)
    admin.save()

    env = {**os.environ, "VAR_DIR": var_dir}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.add_argument("--force-device-scale-factor=1")
    driver = None
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(60):
            try:
                urllib.request.urlopen(url + "/admin/login/", timeout=2)  # noqa: S310 - our own local server
                break
            except OSError:
                time.sleep(0.5)
        driver = webdriver.Chrome(options=options, service=Service(executable_path="/usr/bin/chromedriver"))
        driver.get(url + "/admin/login/")
        driver.find_element("css selector", "#id_username").send_keys("dash-admin")
        driver.find_element("css selector", "#id_password").send_keys(password)
        driver.find_element("css selector", "input[type=submit]").click()
        driver.get(url + "/admin/core/workspace/dashboard/")
        if driver.execute_script("return document.getElementById('main').classList.contains('shifted')"):
            driver.find_element("css selector", "#toggle-nav-sidebar").click()  # the charts get the width
        for _ in range(60):
            if driver.execute_script("return window.Chart && Object.keys(Chart.instances).length") == 5:
                break
            time.sleep(0.25)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        chrome = driver.execute_script("return window.outerHeight - window.innerHeight")
        driver.set_window_size(1400, height + chrome)
        time.sleep(1.0)  # the charts redraw at the new size
        out.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(out))
        print(f"wrote {out} (1400 x {height})")
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        server.wait(timeout=10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "dashboard.png")
    parser.add_argument("--var-dir", default=os.environ.get("VAR_DIR", "var/dash-demo"))
    args = parser.parse_args(argv)
    args.var_dir = str(Path(args.var_dir).resolve())
    if Path(args.var_dir) == (ROOT / "var").resolve():
        sys.exit("dashboard_screenshot: choose a scratch VAR_DIR (e.g. var/dash-demo), not the main one")
    setup(args.var_dir)
    catalog_and_models()
    month_of_traffic()
    screenshot(args.out, args.var_dir)


if __name__ == "__main__":
    main()
