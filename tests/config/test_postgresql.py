"""The PostgreSQL backend notices a connection the server closed, without a round trip on healthy ones."""

import select
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.backends.postgresql import base as django_postgresql

from tests.databases import postgresql_only, second_connection
from tests.factories import UserFactory

pytestmark = [
    postgresql_only,
    pytest.mark.django_db(
        transaction=True
    ),  # the connection must be idle between "requests", not in a test transaction
]


@pytest.fixture
def round_trip_checks(monkeypatch):
    calls = []
    original = django_postgresql.DatabaseWrapper.is_usable

    def spy(self):
        calls.append(self)
        return original(self)

    monkeypatch.setattr(django_postgresql.DatabaseWrapper, "is_usable", spy)
    return calls


def _next_request():
    # What Django does when a request starts, then the request's first query.
    connection.close_if_unusable_or_obsolete()
    return get_user_model().objects.count()


def test_a_connection_the_server_closed_is_replaced_before_the_next_request(round_trip_checks):
    UserFactory()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with second_connection() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    _wait_until_readable()

    assert _next_request() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_a_healthy_idle_connection_is_reused_without_a_round_trip(round_trip_checks):
    UserFactory()
    _next_request()
    raw = connection.connection

    assert _next_request() == 1
    assert _next_request() == 1

    assert connection.connection is raw
    assert round_trip_checks == []


def _wait_until_readable():
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if select.select([connection.connection.fileno()], [], [], 0.05)[0]:
            return
    raise AssertionError("the terminated connection never became readable")
