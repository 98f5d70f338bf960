"""The website records every row it shows, its cards carry the row's id, and what a member does from a card
is credited to that row; a member of a candidate variant gets top picks from the candidate's model."""

import pytest
from django.urls import reverse

from catalog.models import Rating
from experiments.attribution import attribute_pending
from experiments.models import Engagement, Impression
from experiments.serving import running_experiments
from recommendations.training import model_version_activate, train_model_version
from tests.factories import ExperimentFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db


def rows(response):
    return {r.key: r for r in response.context["rows"]}


@pytest.fixture
def member(client, tiny_catalog):
    person = UserFactory(username="newfan")
    Rating.objects.create(user=person, item=tiny_catalog.scifi[0], value=5.0)
    client.force_login(person)
    attribute_pending()  # the first pass starts the cursor
    return person


def test_every_row_shown_is_recorded_with_its_placement(client, member):
    response = client.get(reverse("home"))
    shown = {str(i.pk): i for i in Impression.objects.all()}
    assert len(shown) == len(response.context["rows"]) > 2
    for row in response.context["rows"]:
        recorded = shown[row.recommendation_id]
        assert recorded.items == [card.item.pk for card in row.cards]
        assert recorded.user == member and recorded.variant == "control"
        assert recorded.placement == {"popular": "home", "trending": "trending", "new": "new"}.get(
            row.key, recorded.placement
        )  # fmt: skip
        assert f"?rec={row.recommendation_id}" in response.content.decode()


def test_a_click_from_a_card_and_a_like_on_the_item_page_are_credited_to_the_row(client, member):
    page = client.get(reverse("home"))
    row = next(r for r in page.context["rows"] if len(r.cards) > 1)
    item = row.cards[1].item
    opened = client.get(reverse("item", args=[item.pk]), {"rec": row.recommendation_id})
    assert opened.status_code == 200
    assert f'name="rec" value="{row.recommendation_id}"' in opened.content.decode()
    client.post(reverse("item-feedback", args=[item.pk]), {"kind": "like", "rec": row.recommendation_id})
    attribute_pending()
    credited = {(e.kind, str(e.impression_id), e.position) for e in Engagement.objects.all()}
    assert credited == {("click", row.recommendation_id, 2), ("like", row.recommendation_id, 2)}


def test_a_nonsense_list_id_is_ignored(client, member, tiny_catalog):
    assert client.get(reverse("item", args=[tiny_catalog.scifi[1].pk]), {"rec": "' or 1=1"}).status_code == 200
    attribute_pending()
    assert not Engagement.objects.exists()


def test_a_candidates_member_gets_top_picks_from_the_candidates_model(client, member, media_root):
    active = train_model_version()
    candidate = train_model_version(algorithm="popularity", force=True)
    active.refresh_from_db()
    if candidate.status == "active":  # the guard let it through: put the first one back in front
        model_version_activate(version=active)
    experiment = ExperimentFactory(traffic=100, status="running")
    VariantFactory(experiment=experiment, name="popular", model_version=candidate)
    running_experiments.clear()
    response = client.get(reverse("home"))
    picks = rows(response)["top-picks"]
    recorded = Impression.objects.get(pk=picks.recommendation_id)
    assert (recorded.variant, recorded.model_version_id, recorded.experiment_id) == (
        "popular", candidate.pk, experiment.pk,
    )  # fmt: skip
    assert all(not card.reason.startswith("Because you rated") for card in picks.cards)
