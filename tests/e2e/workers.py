"""Start real Celery worker processes against the test database and broker."""

import contextlib
import os
import signal
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
def celery_workers(count: int = 1, *, concurrency: int = 1, extra_env: dict | None = None, app: str = "config"):
    """`count` worker processes (each in its own process group, so a test can kill one outright)."""
    env = dict(os.environ)
    env.update({"DATABASE_URL": database_url(), "MEDIA_ROOT": str(settings.MEDIA_ROOT), "PYTHONUNBUFFERED": "1"})
    # Single-threaded numeric work, as the sharding benchmark and a fair two-worker test need.
    env.update({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    env.update({k: str(v) for k, v in (extra_env or {}).items()})
    processes = []
    for n in range(count):
        name = f"test-{n}-{uuid.uuid4().hex[:6]}@%h"
        command = [sys.executable, "-m", "celery", "-A", app, "worker", "-l", "warning", "-n", name]
        command += ["--concurrency", str(concurrency), "--without-gossip", "--without-mingle", "--pool", "prefork"]
        processes.append(subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True))
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                kill_worker(process)


def kill_worker(process: subprocess.Popen) -> None:
    """SIGKILL a worker and its pool children at once, as a crash or an OOM kill would."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=20)
