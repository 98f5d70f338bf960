"""Each pytest-xdist worker gets its own files, broker and cache (loaded with `-p` from pyproject's addopts).

pytest-django reads Django's settings while pytest starts, so the environment is adjusted in the
first hook that runs, before pytest-django's. In worker gwN:

- VAR_DIR (and MEDIA_ROOT when set) gets a gwN folder: the SQLite test database, Celery's
  filesystem broker and media files of one worker are not another's;
- every Redis URL (CELERY_BROKER_URL, CELERY_RESULT_BACKEND, CACHE_URL) moves to DB numbers of its
  own: the DBs the URLs name, shifted past each other by N times their span (7 and 8 become 9 and
  10 for gw1). A test's cache.clear() flushes one whole DB, and a real Celery worker started by an
  e2e test must take only its own worker's tasks.

pytest-django already gives each worker its own PostgreSQL test database (test_<name>_gwN).
Child processes inherit the adjusted environment; a pytest started inside a test (which also sees
PYTEST_XDIST_WORKER) leaves it as it is.
"""

import os
import re
from pathlib import Path

import pytest

REDIS_VARIABLES = ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CACHE_URL")
# Redis answers to DBs 0-15 unless configured otherwise.
REDIS_DATABASES = 16
_DONE = "ENCORE_TEST_WORKER_ENV"
_REDIS_URL = re.compile(r"^(?P<head>rediss?://[^/?#]*)(?:/(?P<db>\d*))?(?P<tail>[?#].*)?$")


def worker_number() -> int | None:
    """N of an xdist worker gwN (set by xdist before the worker's plugins load), None outside xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if re.fullmatch(r"gw\d+", worker) else None


def worker_environment(environ: dict[str, str], number: int, *, rootdir: Path) -> dict[str, str]:
    """The variables to change for worker gw<number>."""
    worker = f"gw{number}"
    changes = {"VAR_DIR": str(Path(environ.get("VAR_DIR") or rootdir / "var") / worker)}
    if environ.get("MEDIA_ROOT"):
        changes["MEDIA_ROOT"] = str(Path(environ["MEDIA_ROOT"]) / worker)

    broker = environ.get("CELERY_BROKER_URL", "")
    if broker.startswith(("amqp://", "pyamqp://")):
        raise pytest.UsageError(
            "CELERY_BROKER_URL: xdist workers would share one AMQP queue and take each other's tasks; "
            "run the suite on filesystem:// or redis:// (or with -n 0)"
        )
    parsed = {}
    for variable in REDIS_VARIABLES:
        match = _REDIS_URL.match(environ.get(variable, ""))
        if match:
            parsed[variable] = match
    if parsed:
        numbers = {int(match["db"] or 0) for match in parsed.values()}
        shift = number * (max(numbers) - min(numbers) + 1)
        if max(numbers) + shift >= REDIS_DATABASES:
            raise pytest.UsageError(
                f"xdist worker {worker} needs Redis DB {max(numbers) + shift}, past the server's "
                f"{REDIS_DATABASES}: start the Redis URLs at lower DB numbers or run fewer workers"
            )
        for variable, match in parsed.items():
            changes[variable] = f"{match['head']}/{int(match['db'] or 0) + shift}{match['tail'] or ''}"
    return changes


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config):
    number = worker_number()
    if number is None or os.environ.get(_DONE) == f"gw{number}":
        return
    os.environ.update(worker_environment(dict(os.environ), number, rootdir=early_config.rootpath))
    os.environ[_DONE] = f"gw{number}"
