"""schemathesis over the whole published schema: no server errors, responses as documented."""

import pytest
import schemathesis
from django.core.management.color import no_style
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi import checks

from api.throttling import IngestionRateThrottle
from catalog.models import Item
from config.wsgi import application
from tests.api.conftest import make_partner
from tests.factories import GenreFactory, ItemFactory

# Each operation gets this many generated requests (positive and negative); the whole run stays near a minute.
EXAMPLES_PER_OPERATION = 100


# Loaded at collection: generating the schema needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
# A batch with some invalid rows keeps the valid ones and rejects the others with a 207 report.
schema.config.checks.negative_data_rejection.expected_statuses.append("207")
# Every request carries a real key (see below), so requests "without the Authorization header" cannot
# be generated; test_security covers those. Unknown query parameters are ignored on purpose, as most
# HTTP APIs do, so clients written against a newer version keep working.
schema.config.generation.with_security_parameters = False
schema.config.generation.allow_extra_parameters = False


@pytest.fixture
def fuzz_key(db, monkeypatch):
    # A realistic small world so some generated ids hit real objects.
    drama = GenreFactory(name="Drama")
    items = [ItemFactory(pk=pk, genres=[drama], rating_count=pk) for pk in range(1, 6)]
    # Rows written with explicit ids leave PostgreSQL's sequence behind (SQLite follows the largest id): moved past
    # them, as loaddata does, so an item the API creates does not collide with them. Otherwise the test passed
    # only when an earlier test in the same process had drawn item ids, which parallel runs do not promise.
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Item]):
            cursor.execute(statement)
    partner = make_partner("Fuzzer", throttle_rate="1000000/min")
    partner.post("/api/v1/events/", [{"user": "1", "item": item.pk, "kind": "view"} for item in items])
    monkeypatch.setattr(IngestionRateThrottle, "THROTTLE_RATES", {"client_write": "1000000/min"})
    # Like Django's test client (which reconnects these after each of its requests, hence after the
    # setup above): a request served through WSGI must not close the test's open transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield partner.key
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_conforms_to_its_schema(case, fuzz_key):
    case.call_and_validate(
        headers={"Authorization": f"Api-Key {fuzz_key}"},
        excluded_checks=[
            # Schema-valid ids and user ids mostly name nothing (404), and "a rating is in half steps"
            # cannot be said in JSON Schema: a valid-looking request may rightly be refused.
            checks.positive_data_acceptance,
        ],
    )
