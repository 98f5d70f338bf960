"""The raw bulk insert (COPY on PostgreSQL, executemany elsewhere) stores every value as given."""

from datetime import UTC, datetime

import pytest

from catalog.bulk import insert_rows
from catalog.models import Interaction
from tests.factories import ItemFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_awkward_text_nulls_floats_and_times_arrive_intact():
    user, item = UserFactory(), ItemFactory()
    when = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)
    keys = ["tab\there", "line\nbreak\r\n", "back\\slash \\N", "ünïcødé ✓", None, r"\t literally"]
    rows = [(user.pk, item.pk, "play", value, when, key) for key, value in zip(keys, [0.25, None, 1e-7, 3, 2.5, -1.0])]

    written = insert_rows(
        Interaction._meta.db_table, ["user_id", "item_id", "kind", "value", "created_at", "idempotency_key"], rows
    )

    assert written == len(rows)
    stored = list(Interaction.objects.order_by("pk").values_list("idempotency_key", "value", "created_at"))
    assert stored == [(key, value, when) for _, _, _, value, _, key in rows]
