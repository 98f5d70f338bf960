"""The one write path: single and bulk forms reach the same end state and keep item counters true."""

import random
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Avg, Count

from catalog.models import Interaction, Item, Rating
from catalog.services import (
    interaction_record,
    interactions_record_bulk,
    item_stats_refresh,
    person_forget,
    rating_delete,
    rating_upsert,
    ratings_upsert_bulk,
)
from tests.databases import postgresql_only
from tests.factories import InteractionFactory, ItemFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def counters(items) -> list[tuple[int, float | None]]:
    by_pk = dict(Item.objects.filter(pk__in=[i.pk for i in items]).values_list("pk", "rating_count"))
    avg = dict(Item.objects.filter(pk__in=[i.pk for i in items]).values_list("pk", "rating_avg"))
    return [(by_pk[i.pk], avg[i.pk]) for i in items]


def truth(items) -> list[tuple[int, float | None]]:
    """What the ratings say, aggregated by the database."""
    rows = Rating.objects.filter(item__in=items).values("item").annotate(n=Count("pk"), a=Avg("value"))
    found = {row["item"]: (row["n"], row["a"]) for row in rows}
    return [found.get(i.pk, (0, None)) for i in items]


def test_single_writes_keep_counters_exactly_equal_to_the_ratings():
    rng = random.Random(7)
    people, items = [UserFactory() for _ in range(6)], [ItemFactory() for _ in range(3)]
    for step in range(150):
        user, item = rng.choice(people), rng.choice(items)
        if rng.random() < 0.25:
            rating_delete(user=user, item=item)
        else:
            rating_upsert(user=user, item=item, value=rng.choice([0.5, 1.5, 2.0, 3.5, 4.0, 5.0]))
        # Exactly, not approximately: browse sorts and ties on these numbers.
        assert counters(items) == truth(items), f"step {step}"


def test_the_last_rating_removed_leaves_no_average():
    user, item = UserFactory(), ItemFactory()
    rating_upsert(user=user, item=item, value=3.5)
    assert rating_delete(user=user, item=item) is True
    assert rating_delete(user=user, item=item) is False
    assert counters([item]) == [(0, None)]


def _ratings_state(people, items) -> dict:
    """Ratings by position of person and item (two worlds have different ids), and the counters."""
    person = {u.pk: n for n, u in enumerate(people)}
    thing = {i.pk: n for n, i in enumerate(items)}
    stored = Rating.objects.filter(item__in=items).values_list("user", "item", "value", "created_at", "updated_at")
    return {
        "ratings": sorted((person[u], thing[i], *rest) for u, i, *rest in stored),
        "counters": counters(items),
    }


def test_a_bulk_upsert_ends_where_the_same_single_upserts_end():
    rng = random.Random(11)
    plan = [(rng.randrange(5), rng.randrange(4), rng.choice([1.0, 2.5, 4.0, 4.5]), T0 + timedelta(minutes=m))
            for m in range(60)]  # fmt: skip
    earlier = [(u, i, 3.0) for u in range(5) for i in range(4) if (u + i) % 3 == 0]

    def world():
        people, items = [UserFactory() for _ in range(5)], [ItemFactory() for _ in range(4)]
        for u, i, value in earlier:
            rating_upsert(user=people[u], item=items[i], value=value, at=T0 - timedelta(days=1))
        return people, items

    people, items = world()
    for u, i, value, at in plan:
        rating_upsert(user=people[u], item=items[i], value=value, at=at)
    one_by_one = _ratings_state(people, items)

    people, items = world()
    written = ratings_upsert_bulk(rows=[(people[u].pk, items[i].pk, value, at) for u, i, value, at in plan])
    assert _ratings_state(people, items) == one_by_one
    assert counters(items) == truth(items)
    assert written.created + written.updated + written.unchanged == len({(u, i) for u, i, _, _ in plan})


def test_a_bulk_upsert_skips_people_and_items_that_no_longer_exist():
    user, gone_user, item = UserFactory(), UserFactory(), ItemFactory()
    gone_item = ItemFactory()
    ghost_user, ghost_item = gone_user.pk, gone_item.pk
    gone_user.delete()
    gone_item.delete()

    written = ratings_upsert_bulk(
        rows=[(user.pk, item.pk, 4.0, T0), (ghost_user, item.pk, 1.0, T0), (user.pk, ghost_item, 1.0, T0)]
    )

    assert (written.created, written.missing_users, written.missing_items) == (1, {ghost_user}, {ghost_item})
    assert counters([item]) == [(1, 4.0)]


def test_bulk_events_end_where_the_same_single_events_end():
    def world():
        return [UserFactory() for _ in range(2)], [ItemFactory() for _ in range(2)]

    plan = [
        (0, 0, "view", None, "k1"),
        (0, 1, "play", 0.5, None),
        (0, 0, "view", None, "k1"),  # a retry
        (1, 0, "like", None, "k1"),  # the same key from someone else
        (1, 1, "purchase", 9.99, "order-7"),
        (1, 1, "purchase", 9.99, "order-7"),
    ]

    def state(people, items):
        u, i = {p.pk: n for n, p in enumerate(people)}, {x.pk: n for n, x in enumerate(items)}
        rows = Interaction.objects.filter(user__in=people).values_list(
            "user", "item", "kind", "value", "idempotency_key"
        )
        return sorted((u[a], i[b], kind, value, key) for a, b, kind, value, key in rows)

    people, items = world()
    results = [interaction_record(user=people[u], item=items[i], kind=k, value=v, at=T0, idempotency_key=key)[1]
               for u, i, k, v, key in plan]  # fmt: skip
    one_by_one = state(people, items)

    people, items = world()
    recorded = interactions_record_bulk(rows=[(people[u].pk, items[i].pk, k, v, T0, key) for u, i, k, v, key in plan])
    assert state(people, items) == one_by_one
    assert (recorded.created, recorded.duplicates) == (results.count(True), results.count(False))


def test_an_unknown_event_kind_is_refused_before_anything_is_written():
    user, item = UserFactory(), ItemFactory()
    with pytest.raises(ValueError, match="unknown event kind 'teleport'"):
        interactions_record_bulk(
            rows=[(user.pk, item.pk, "view", None, T0, None), (user.pk, item.pk, "teleport", None, T0, None)]
        )
    assert not Interaction.objects.exists()


def test_forgetting_a_person_removes_everything_and_their_ratings_stop_counting():
    gone, stays = UserFactory(), UserFactory()
    shared, only_theirs = ItemFactory(), ItemFactory()
    for user, value in ((gone, 5.0), (stays, 2.0)):
        rating_upsert(user=user, item=shared, value=value)
    rating_upsert(user=gone, item=only_theirs, value=4.0)
    InteractionFactory(user=gone, item=shared)

    assert person_forget(user=gone) is True

    assert not get_user_model().objects.filter(pk=gone.pk).exists()
    assert not Rating.objects.filter(user_id=gone.pk).exists()
    assert not Interaction.objects.filter(user_id=gone.pk).exists()
    assert counters([shared, only_theirs]) == [(1, 2.0), (0, None)]
    assert person_forget(user=gone) is False


def test_a_full_refresh_repairs_counters_set_by_hand():
    item = ItemFactory(rating_count=99, rating_avg=1.0)
    RatingFactory(item=item, value=4.5)
    item_stats_refresh()
    assert counters([item]) == [(1, 4.5)]


def wait_until_someone_waits_for_a_lock() -> None:
    """Poll PostgreSQL until another connection of this database is blocked on a row lock."""
    with connection.cursor() as cursor:
        for _ in range(100):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("nobody waited for a lock")


def in_thread(target, errors: list):
    def run():
        try:
            target()
        except Exception as exc:  # noqa: BLE001 - the test asserts that nothing escaped
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_person_deleted_while_a_batch_writes_as_them_is_gone_after_both():
    gone, stays, item = UserFactory(), UserFactory(), ItemFactory()
    batch_holds_its_locks, batch_may_commit = threading.Event(), threading.Event()
    errors: list = []

    def batch():
        with transaction.atomic():
            ratings_upsert_bulk(rows=[(gone.pk, item.pk, 5.0, T0), (stays.pk, item.pk, 2.0, T0)])
            interactions_record_bulk(rows=[(gone.pk, item.pk, "view", None, T0, None)])
            batch_holds_its_locks.set()
            batch_may_commit.wait(10)

    def deletion():
        batch_holds_its_locks.wait(10)
        person_forget(user=gone)

    threads = [in_thread(batch, errors), in_thread(deletion, errors)]
    wait_until_someone_waits_for_a_lock()  # the deletion, on the person the batch holds
    batch_may_commit.set()
    for thread in threads:
        thread.join(10)

    assert errors == []
    assert not get_user_model().objects.filter(pk=gone.pk).exists()
    assert not Rating.objects.filter(user_id=gone.pk).exists()
    assert not Interaction.objects.filter(user_id=gone.pk).exists()
    assert counters([item]) == truth([item]) == [(1, 2.0)]
