"""The raw bulk insert (COPY on PostgreSQL, executemany elsewhere) stores every value as given, and the
database keeps checking every row: unique and foreign keys, triggers, and the locks a foreign-key check takes."""

import contextlib
import threading
import time
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction

from catalog.bulk import insert_rows
from catalog.models import Interaction, Rating
from tests.databases import postgresql_only, second_connection
from tests.factories import ItemFactory, UserFactory

pytestmark = pytest.mark.django_db

RATING_COLUMNS = ["user_id", "item_id", "value", "created_at", "updated_at"]
WHEN = datetime(2024, 1, 1, tzinfo=UTC)


def _rating(user_pk, item_pk, value=4.0):
    return (user_pk, item_pk, value, WHEN, WHEN)


def test_awkward_text_nulls_floats_and_times_arrive_intact():
    user, item = UserFactory(), ItemFactory()
    when = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)
    keys = ["tab\there", "line\nbreak\r\n", "back\\slash \\N", "ünïcødé ✓", None, r"\t literally"]
    rows = [(user.pk, item.pk, "play", value, when, key) for key, value in zip(keys, [0.25, None, 1e-7, 3, 2.5, -1.0])]
    columns = ["user_id", "item_id", "kind", "value", "created_at", "idempotency_key"]

    written = insert_rows(Interaction, columns, rows)

    assert written == len(rows)
    stored = list(Interaction.objects.order_by("pk").values_list("idempotency_key", "value", "created_at"))
    assert stored == [(key, value, when) for _, _, _, value, _, key in rows]


def test_a_conflict_raises_and_writes_nothing_of_the_batch():
    user, rated, new = UserFactory(), ItemFactory(), ItemFactory()
    Rating.objects.create(user=user, item=rated, value=3.0, created_at=WHEN, updated_at=WHEN)

    with pytest.raises(IntegrityError):
        insert_rows(Rating, RATING_COLUMNS, [_rating(user.pk, new.pk), _rating(user.pk, rated.pk)])

    assert dict(Rating.objects.values_list("item_id", "value")) == {rated.pk: 3.0}


@pytest.mark.django_db(transaction=True)
def test_a_batch_rating_as_a_missing_user_is_refused_whole():
    user, item = UserFactory(), ItemFactory()
    ghost = user.pk + 1000

    # PostgreSQL refuses it in the call, SQLite at commit: either way before anything is stored.
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(Rating, RATING_COLUMNS, [_rating(user.pk, item.pk), _rating(ghost, item.pk)])

    assert not Rating.objects.exists()


@postgresql_only
def test_a_trigger_on_the_table_fires_for_every_inserted_row():
    user, first, second = UserFactory(), ItemFactory(), ItemFactory()
    with connection.cursor() as cursor:
        # Created inside the test's transaction, so it is rolled back with it.
        cursor.execute("CREATE TABLE rating_audit (user_id integer, item_id bigint)")
        cursor.execute(
            "CREATE FUNCTION rating_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN INSERT INTO rating_audit VALUES (NEW.user_id, NEW.item_id); RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER rating_audit AFTER INSERT ON catalog_rating"
            " FOR EACH ROW EXECUTE FUNCTION rating_audit_row()"
        )

        insert_rows(Rating, RATING_COLUMNS, [_rating(user.pk, first.pk), _rating(user.pk, second.pk)])

        cursor.execute("SELECT user_id, item_id FROM rating_audit ORDER BY item_id")
        assert cursor.fetchall() == [(user.pk, first.pk), (user.pk, second.pk)]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_deleting_a_person_a_batch_rates_as_waits_for_the_batch_then_removes_everything():
    user, item = UserFactory(), ItemFactory()
    deletion = _in_thread(_delete_person, user.pk)
    with transaction.atomic():
        insert_rows(Rating, RATING_COLUMNS, [_rating(user.pk, item.pk)])
        deletion.start()
        # The foreign-key check locked the person FOR KEY SHARE: the deletion cannot lock them yet.
        _wait_for_a_lock_wait()
        assert deletion.is_alive()
        assert Rating.objects.filter(user=user).count() == 1
    deletion.join(10)

    assert deletion.error is None
    assert not get_user_model().objects.filter(pk=user.pk).exists()
    assert not Rating.objects.exists()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_batch_rating_as_a_person_being_deleted_waits_then_is_refused_whole():
    user, item, other_item = UserFactory(), ItemFactory(), ItemFactory()

    with _deletion_committing_after(user.pk, seconds=0.5) as started:
        with pytest.raises(IntegrityError, match="auth_user"), transaction.atomic():
            insert_rows(Rating, RATING_COLUMNS, [_rating(user.pk, item.pk), _rating(user.pk, other_item.pk)])
        assert time.monotonic() - started >= 0.4

    assert not Rating.objects.exists()


@contextlib.contextmanager
def _deletion_committing_after(user_pk: int, *, seconds: float):
    """An account deletion in progress on another connection, committed `seconds` later; yields when it began."""
    deleting = second_connection()
    try:
        deleting.execute("BEGIN")
        deleting.execute("SELECT id FROM auth_user WHERE id = %s FOR UPDATE", [user_pk])
        deleting.execute("DELETE FROM accounts_profile WHERE user_id = %s", [user_pk])
        deleting.execute("DELETE FROM auth_user WHERE id = %s", [user_pk])
        commit = threading.Timer(seconds, deleting.execute, ["COMMIT"])
        commit.start()
        yield time.monotonic()
        commit.join()
    finally:
        deleting.close()


def _wait_for_a_lock_wait() -> None:
    with second_connection() as watcher:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()[0]
            if waiting:
                return
            time.sleep(0.05)
    raise AssertionError("nothing waited for a lock")


def _delete_person(user_pk: int) -> None:
    # What an account deletion does on its own connection: lock the person, then remove them and their rows.
    with second_connection() as other, other.transaction():
        other.execute("SELECT id FROM auth_user WHERE id = %s FOR UPDATE", [user_pk])
        other.execute("DELETE FROM catalog_rating WHERE user_id = %s", [user_pk])
        other.execute("DELETE FROM accounts_profile WHERE user_id = %s", [user_pk])
        other.execute("DELETE FROM auth_user WHERE id = %s", [user_pk])


class _Thread(threading.Thread):
    error: BaseException | None = None

    def run(self):
        try:
            super().run()
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc


def _in_thread(target, *args) -> _Thread:
    return _Thread(target=target, args=args, daemon=True)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_single_rating_by_a_person_being_deleted_waits_then_finds_them_gone():
    from catalog.services import PersonGone, rating_upsert

    user, item = UserFactory(), ItemFactory()

    with _deletion_committing_after(user.pk, seconds=0.5) as started:
        with pytest.raises(PersonGone):
            rating_upsert(user=user, item=item, value=4.0)
        assert time.monotonic() - started >= 0.4

    item.refresh_from_db()
    assert not Rating.objects.exists() and item.rating_count == 0
