import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from catalog.models import Item, Rating
from tests.factories import ItemFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_upgrading_recounts_counters_that_drifted():
    item = ItemFactory()
    Rating.objects.create(user=UserFactory(), item=item, value=4.0)
    Rating.objects.create(user=UserFactory(), item=item, value=3.0)
    Item.objects.filter(pk=item.pk).update(rating_count=7, rating_avg=1.5)  # as an older version left it

    executor = MigrationExecutor(connection)
    executor.migrate([("catalog", "0002_rating_drop_redundant_indexes")])
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    item.refresh_from_db()
    assert (item.rating_count, item.rating_avg) == (2, 3.5)
