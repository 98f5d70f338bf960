"""The raw bulk insert (COPY on PostgreSQL, executemany elsewhere) stores every value as given and keeps
foreign keys enforced, whether PostgreSQL checks them per row or the batch checks them once."""

from datetime import UTC, datetime

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from catalog import bulk
from catalog.bulk import insert_rows
from catalog.models import Interaction, Rating
from tests.databases import postgresql_only, second_connection
from tests.factories import ItemFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_awkward_text_nulls_floats_and_times_arrive_intact():
    user, item = UserFactory(), ItemFactory()
    when = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)
    keys = ["tab\there", "line\nbreak\r\n", "back\\slash \\N", "ünïcødé ✓", None, r"\t literally"]
    rows = [(user.pk, item.pk, "play", value, when, key) for key, value in zip(keys, [0.25, None, 1e-7, 3, 2.5, -1.0])]

    written = insert_rows(Interaction, ["user_id", "item_id", "kind", "value", "created_at", "idempotency_key"], rows)

    assert written == len(rows)
    stored = list(Interaction.objects.order_by("pk").values_list("idempotency_key", "value", "created_at"))
    assert stored == [(key, value, when) for _, _, _, value, _, key in rows]


RATING_COLUMNS = ["user_id", "item_id", "value", "created_at", "updated_at"]


def _rating(user_pk, item_pk, value=4.0):
    when = datetime(2024, 1, 1, tzinfo=UTC)
    return (user_pk, item_pk, value, when, when)


@postgresql_only
@pytest.mark.parametrize("batch_check", [True, False], ids=["checked-per-batch", "checked-per-row"])
def test_a_batch_rating_as_a_missing_user_is_refused_whole(monkeypatch, batch_check):
    monkeypatch.setattr(bulk, "_may_bypass_triggers", lambda cursor: batch_check)
    user, item = UserFactory(), ItemFactory()
    ghost = user.pk + 1000

    refused = pytest.raises(IntegrityError, match=rf"auth_user rows: {ghost}$" if batch_check else None)
    with refused, transaction.atomic():
        insert_rows(Rating, RATING_COLUMNS, [_rating(user.pk, item.pk), _rating(ghost, item.pk)])
        connection.check_constraints()  # what commit does: per-row triggers raise here

    assert not Rating.objects.exists()


@postgresql_only
def test_foreign_keys_are_enforced_again_after_a_batch():
    user, item, other = UserFactory(), ItemFactory(), ItemFactory()

    assert insert_rows(Rating, RATING_COLUMNS, [_rating(user.pk, item.pk)]) == 1

    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"
        with pytest.raises(IntegrityError), transaction.atomic():
            cursor.execute(
                "INSERT INTO catalog_rating (user_id, item_id, value, created_at, updated_at)"
                " VALUES (%s, %s, 3, now(), now())",
                [user.pk + 1000, other.pk],
            )
            connection.check_constraints()  # what commit does


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_user_cannot_be_deleted_under_a_batch_that_rates_as_them():
    user, item = UserFactory(), ItemFactory()
    other = second_connection()
    try:
        with transaction.atomic():
            insert_rows(Rating, RATING_COLUMNS, [_rating(user.pk, item.pk)])
            other.execute("SET lock_timeout = '200ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("DELETE FROM auth_user WHERE id = %s", [user.pk])
        assert Rating.objects.filter(user=user).count() == 1
    finally:
        other.close()
