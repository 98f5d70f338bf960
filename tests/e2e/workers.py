"""Start real Celery worker processes against the test database and broker."""

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The URL of the database this test runs on, for a child process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def celery_workers(count: int = 1, *, concurrency: int = 1, extra_env: dict | None = None):
    env = dict(os.environ)
    env.update({"DATABASE_URL": database_url(), "MEDIA_ROOT": str(settings.MEDIA_ROOT), "PYTHONUNBUFFERED": "1"})
    env.update(extra_env or {})
    processes = []
    for n in range(count):
        name = f"test-{n}-{uuid.uuid4().hex[:6]}@%h"
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "warning", "-n", name]
        command += ["--concurrency", str(concurrency), "--without-gossip", "--without-mingle"]
        processes.append(subprocess.Popen(command, cwd=ROOT, env=env))
    try:
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
