"""`manage.py run` (what `make run` starts) serves the site, and stopping it stops every process it started."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from benchmarks.loadgen import free_port, wait_until_up
from tests.e2e.workers import ROOT, database_url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MOVIES = "movieId,title,genres\n1,Alien (1979),Horror|Sci-Fi\n2,Heat (1995),Action|Crime\n3,Up (2009),Animation\n"
RATINGS = "userId,movieId,rating,timestamp\n" + "".join(
    f"{user},{movie},{3 + (user + movie) % 3},964982703\n" for user in range(1, 9) for movie in (1, 2, 3)
)


@pytest.fixture
def demo_catalog(tmp_path) -> Path:
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "movies.csv").write_text(MOVIES)
    (folder / "ratings.csv").write_text(RATINGS)
    return folder


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_the_site_serves_and_stopping_run_stops_every_process(tmp_path, demo_catalog, stop_signal):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "CACHE_", "MEDIA_"))}
    # The embedded broker in a folder of its own: this run's worker must not take other tests' tasks.
    env.update(VAR_DIR=str(tmp_path / "var"), DATABASE_URL=database_url(), ENCORE_DEMO_DATA=str(demo_catalog))
    env.update(PYTHONUNBUFFERED="1", ENCORE_ADMIN_PASSWORD="a-long-test-password")
    run = subprocess.Popen(
        [sys.executable, "manage.py", "run", "--bind", f"127.0.0.1:{port}", "--web-workers", "1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        # As a shell starts a background job: SIGINT ignored, which Python would otherwise keep.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )  # fmt: skip
    started: set[int] = set()
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", timeout=120)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as response:  # noqa: S310 - a local test server
            assert "Alien" in response.read().decode()
        started = _wait_for_descendants(run.pid, at_least=4)  # celery worker and its pool, gunicorn and its worker

        run.send_signal(stop_signal)

        assert run.wait(timeout=30) == 0
        assert _alive(started, within=10) == set()
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        for pid in _alive(started | _descendants(run.pid), within=0):
            os.kill(pid, signal.SIGKILL)


def _wait_for_descendants(pid: int, *, at_least: int) -> set[int]:
    deadline = time.monotonic() + 60
    while len(found := _descendants(pid)) < at_least:
        if time.monotonic() > deadline:
            raise AssertionError(f"only {len(found)} processes started")
        time.sleep(0.5)
    time.sleep(1)  # the rest of the pool
    return _descendants(pid)


def _descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc (children reparented elsewhere are not found, so call it early)."""
    found, frontier = set(), [pid]
    while frontier:
        parent = frontier.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    frontier.append(child)
    return found


def _alive(pids: set[int], *, within: float) -> set[int]:
    """The processes of `pids` still running (zombies count as gone) after waiting up to `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        alive = {pid for pid in pids if _running(pid)}
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.2)


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return re.search(r"\) (\S)", stat)[1] != "Z"
