"""bench_workspaces end to end at a tiny scale: real Celery workers, gunicorn and wrk (or the threaded client).

It runs in a process of its own on a fresh SQLite database, broker and media folder,
with a demo catalog cut down to a few hundred ratings so the website's first model
trains in seconds.
"""

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.benchmarks.test_installed import ROOT

pytestmark = pytest.mark.e2e
DEMO = ROOT / "data" / "ml-latest-small"


def small_demo_catalog(folder: Path, ratings: int = 2000) -> Path:
    """The demo catalog's first `ratings` ratings and the titles they rate."""
    folder.mkdir()
    with (DEMO / "ratings.csv").open() as source:
        kept = [line for _, line in zip(range(ratings + 1), source, strict=False)]
    (folder / "ratings.csv").write_text("".join(kept))
    rated = {line.split(",")[1] for line in kept[1:]}
    with (DEMO / "movies.csv").open() as source:
        header, *movies = source
    (folder / "movies.csv").write_text(header + "".join(m for m in movies if m.split(",", 1)[0] in rated))
    return folder


def test_a_tiny_run_retrains_serves_and_deletes_what_it_made(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL")}
    env |= {
        "ENCORE_BENCHMARKS": "1",
        "VAR_DIR": str(tmp_path / "var"),
        "ENCORE_DEMO_DATA": str(small_demo_catalog(tmp_path / "demo")),
        "ENCORE_ADMIN_PASSWORD": "a-long-Secret-42",
    }
    tiny = "--workspaces 2 --min-events 50 --max-events 60 --seconds 1 --warm-up 1 --people 20 --web-workers 1"
    command = [sys.executable, "manage.py", "bench_workspaces", *tiny.split()]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "retrain: 2 workspaces on 2 worker(s)" in out
    assert "2 active" in out and "the dispatcher queued 2 (0 other)" in out
    assert out.count("errors 0") == 2  # the website's people, then the tenants' people
    # The one web worker reported its memory and the models it held (the two tenants' at least).
    assert re.search(r"web worker \d+: RSS \d+ MB = .* MB of models \([2-9] held", out), out
    assert "met: memory within ENCORE_MODEL_CACHE_MB=64" in out
    assert "deleted the 2 workspaces" in out
    database = sqlite3.connect(tmp_path / "var" / "encore.sqlite3")
    assert database.execute("SELECT slug FROM core_workspace").fetchall() == [("default",)]
    assert database.execute("SELECT count(*) FROM api_apiclient").fetchone() == (0,)
    assert database.execute("SELECT count(*) FROM api_clientuser").fetchone() == (0,)
    assert sorted(p.name for p in (tmp_path / "var" / "media" / "models").iterdir()) == ["default"]
