"""Old impressions become daily stats and are deleted; recent ones stay raw."""

from datetime import UTC, datetime, timedelta

import pytest

from experiments.models import DailyStats, Engagement, Impression
from experiments.rollup import impressions_roll_up
from tests.factories import ExperimentFactory, ItemFactory, UserFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_days_past_the_retention_are_summed_then_deleted(settings):
    settings.ENCORE_IMPRESSION_RETENTION_DAYS = 90
    items = [ItemFactory() for _ in range(4)]
    people = [UserFactory() for _ in range(2)]
    experiment = ExperimentFactory()
    old = NOW - timedelta(days=100)

    def shown(person, at, variant="control", listed=items[:3]):
        return Impression.objects.create(workspace_id=items[0].workspace_id, user=person, placement="top_picks",
                                         experiment=experiment, variant=variant, items=[i.pk for i in listed],
                                         shown_at=at)  # fmt: skip

    first = shown(people[0], old)
    shown(people[0], old + timedelta(hours=1))
    shown(people[1], old + timedelta(hours=2))
    shown(people[1], old + timedelta(hours=3), variant="popular", listed=items[:2])
    recent = shown(people[0], NOW - timedelta(days=3))
    Engagement.objects.create(impression=first, user=people[0], item=items[0], kind="play", position=1, at=old)
    Engagement.objects.create(impression=first, user=people[0], item=items[1], kind="view", position=2, at=old)

    assert impressions_roll_up(now=NOW) == 1
    control = DailyStats.objects.get(variant="control")
    assert (control.day, control.lists, control.impressions, control.people) == (old.date(), 3, 9, 2)
    assert (control.clicked_lists, control.clicks, control.conversions) == (1, 2, 1)
    popular = DailyStats.objects.get(variant="popular")
    assert (popular.lists, popular.impressions, popular.people, popular.clicks) == (1, 2, 1, 0)
    assert list(Impression.objects.all()) == [recent] and not Engagement.objects.exists()
    assert impressions_roll_up(now=NOW) == 0 and DailyStats.objects.count() == 2
