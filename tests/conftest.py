import os
import socket

import pytest
from django.db import connection

from config.celery import app as celery_app
from core import process_caches
from tests.catalog_builders import tiny_catalog  # noqa: F401 - fixture

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def _browser_missing() -> str | None:
    if os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER):
        return None
    return f"{CHROMIUM} and {CHROMEDRIVER} are needed (apt-get install chromium chromium-driver)"


def _postgresql_missing() -> str | None:
    return None if connection.vendor == "postgresql" else "exercises PostgreSQL itself"


# Kinds of tests that need something this machine may lack (marked @pytest.mark.<kind>). Where
# ENCORE_TESTS_REQUIRE names a kind (CI does), a test of that kind that cannot run fails instead of
# skipping, so a missing browser or a half that silently ran on SQLite cannot pass as a full run.
_MISSING = {"browser": _browser_missing, "postgresql": _postgresql_missing}


def required_kinds() -> set[str]:
    kinds = {kind.strip() for kind in os.environ.get("ENCORE_TESTS_REQUIRE", "").split(",") if kind.strip()}
    unknown = kinds - set(_MISSING)
    if unknown:
        raise pytest.UsageError(f"ENCORE_TESTS_REQUIRE: unknown kind(s) {', '.join(sorted(unknown))}")
    return kinds


def pytest_runtest_setup(item):
    for kind, missing in _MISSING.items():
        if item.get_closest_marker(kind) is None:
            continue
        reason = missing()
        if reason and kind in required_kinds():
            pytest.fail(f"{reason}; ENCORE_TESTS_REQUIRE says {kind} tests must run here", pytrace=False)
        if reason:
            pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    # Each test sees its own database's models, keys and titles, not what a previous test left in memory.
    process_caches.clear_all()
    yield
    process_caches.clear_all()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _empty_cache():
    # The locmem cache outlives a test's database: cached ids must not leak into the next test.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _impressions_written_at_once(settings):
    # Served lists are written by their request, inside the test's transaction; the buffered
    # writer (a background thread with its own connection) is tested on its own.
    settings.ENCORE_IMPRESSIONS = "sync"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose (a third of a second per account here); factories
    # create dozens of accounts per test. Logging in and checking passwords work the same way.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def closed_port() -> int:
    # A port nobody listens on: bound, never listened to, then released.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _broker_at(monkeypatch, url: str, *, result_backend: str | None = None) -> None:
    """Point Celery at `url`, dropping the app's cached connections so every publish really connects."""
    # Celery reads these variables before its configuration: the CI's own broker must not answer instead.
    for variable in ("CELERY_BROKER_URL", "CELERY_BROKER_WRITE_URL"):
        monkeypatch.setenv(variable, url)
    monkeypatch.setitem(celery_app.conf, "broker_url", url)
    monkeypatch.setitem(celery_app.conf, "broker_transport_options", {})
    if result_backend is not None:
        monkeypatch.setenv("CELERY_RESULT_BACKEND", result_backend)
        monkeypatch.setitem(celery_app.conf, "result_backend", result_backend)
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)


@pytest.fixture
def broker_unreachable(monkeypatch):
    """Broker and result store on a closed port, as with Redis down."""
    url = f"redis://127.0.0.1:{closed_port()}/0"
    _broker_at(monkeypatch, url, result_backend=url)
    monkeypatch.delattr(celery_app._local, "backend", raising=False)
    yield url
    celery_app._local.__dict__.pop("backend", None)


@pytest.fixture
def memory_broker(monkeypatch):
    """An in-memory broker: a message is really published and can be read back, and no other
    test's queue sees it."""
    _broker_at(monkeypatch, "memory://")
    return celery_app
