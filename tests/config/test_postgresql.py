"""On PostgreSQL, Django's own backend and health check keep reused connections working."""

import os
import resource

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections

from tests.databases import postgresql_only, second_connection
from tests.factories import UserFactory

pytestmark = [
    postgresql_only,
    # The connection must be idle between "requests", not inside a test transaction.
    pytest.mark.django_db(transaction=True),
]


def _next_request() -> int:
    # What Django does when a request starts, then the request's first query.
    connection.close_if_unusable_or_obsolete()
    return get_user_model().objects.count()


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_it_uses_the_stock_backend_with_health_checks():
    default = connections["default"]
    assert type(default).__module__ == "django.db.backends.postgresql.base"
    assert default.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_a_connection_the_server_terminated_is_replaced_before_the_next_request():
    UserFactory()
    pid = _backend_pid()
    with second_connection() as admin:
        # Waits (up to 5 s) until the backend has gone.
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])

    assert _next_request() == 1
    assert _backend_pid() != pid


def test_a_healthy_connection_is_kept_even_on_a_high_file_descriptor():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if min(hard, 4096) < 1200:
        pytest.skip(f"needs more than 1,200 open files; the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    # Fill every descriptor below 1024, so the next connection's socket lands above it
    # (where select() cannot look: a check built on it called such connections broken).
    held = []
    try:
        while not held or held[-1] < 1024:
            held.append(os.open(os.devnull, os.O_RDONLY))
        connection.close()
        UserFactory()
        assert connection.connection.fileno() >= 1024
        pid = _backend_pid()

        assert _next_request() == 1
        assert _next_request() == 1

        assert _backend_pid() == pid
    finally:
        connection.close()
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
