"""Helpers for tests that need PostgreSQL itself: a marker and a second, independent connection."""

import psycopg
import pytest
from django.db import connection

# Skipped on other databases, and a failure where ENCORE_TESTS_REQUIRE names postgresql (tests/conftest.py).
postgresql_only = pytest.mark.postgresql


def second_connection() -> psycopg.Connection:
    """An autocommit connection to the test database beside Django's own."""
    settings = connection.settings_dict
    kwargs = {"dbname": settings["NAME"], "user": settings["USER"], "host": settings["HOST"], "port": settings["PORT"]}
    if settings["PASSWORD"]:
        kwargs["password"] = settings["PASSWORD"]
    return psycopg.connect(**{key: value for key, value in kwargs.items() if value}, autocommit=True)
