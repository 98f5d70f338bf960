import logging

import pytest
from django.urls import reverse

from catalog.models import Interaction, Item, Rating
from core.workspaces import default_workspace_id
from recommendations import loading
from recommendations.models import ModelVersion
from recommendations.serving import active_models, feed_for_user
from recommendations.training import train_model_version
from tests.factories import GenreFactory, InteractionFactory, ItemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(tiny_catalog, media_root):
    train_model_version()
    user = UserFactory(username="member")
    Rating.objects.create(user=user, item=tiny_catalog.scifi[0], value=5.0)
    return user


def titles(user, limit=20):
    return [r.item.title for r in feed_for_user(user=user, workspace=default_workspace_id(), limit=limit)]


def test_a_rating_changes_the_very_next_feed(member, tiny_catalog):
    before = titles(member)
    first = before[0]

    Rating.objects.create(user=member, item=Item.objects.get(title=first), value=4.5)

    after = titles(member)
    assert first in before and first not in after  # rated items leave the feed at once


def test_likes_on_the_other_taste_bring_it_into_the_feed(member, tiny_catalog):
    def romance_share():
        return sum(t.startswith("Love") for t in titles(member, 6))

    before = romance_share()
    for item in tiny_catalog.romance[:4]:
        InteractionFactory(user=member, item=item, kind=Interaction.Kind.FAVORITE)
    Rating.objects.filter(user=member).update(value=2.5)

    assert romance_share() > before


def test_a_dislike_removes_the_item_from_the_next_feed(member):
    shown = feed_for_user(user=member, workspace=default_workspace_id(), limit=5)[0].item

    InteractionFactory(user=member, item=shown, kind=Interaction.Kind.DISLIKE)

    assert shown.title not in titles(member)


def test_a_hidden_item_vanishes_at_once(member):
    shown = feed_for_user(user=member, workspace=default_workspace_id(), limit=5)[0].item

    Item.objects.filter(pk=shown.pk).update(is_active=False)

    assert shown.title not in titles(member)


def test_an_item_added_after_training_reaches_matching_feeds_by_content(member, tiny_catalog):
    sci_fi = GenreFactory(name="Sci-Fi")
    newcomer = ItemFactory(title="Space Newcomer", genres=[sci_fi])

    feed = feed_for_user(user=member, workspace=default_workspace_id(), limit=8)
    lover = tiny_catalog.lovers[0]

    pick = next(r for r in feed if r.item == newcomer)
    assert pick.reason.startswith("New: similar to Space")
    assert newcomer not in [r.item for r in feed_for_user(user=lover, workspace=default_workspace_id(), limit=8)]
    Rating.objects.create(user=member, item=newcomer, value=5.0)
    assert newcomer not in [r.item for r in feed_for_user(user=member, workspace=default_workspace_id(), limit=8)]


def test_a_newly_activated_version_is_noticed_without_a_restart(member, monkeypatch):
    first = active_models.get(default_workspace_id()).version_id
    second = train_model_version(force=True)
    assert (
        active_models.get(default_workspace_id()).version_id == first
    )  # within the check interval the loaded model serves

    monkeypatch.setattr(loading, "ACTIVE_CHECK_SECONDS", 0.0)

    assert active_models.get(default_workspace_id()).version_id == second.pk


def test_a_corrupt_artifact_falls_back_to_the_previous_version(member, client, caplog, monkeypatch, media_root):
    monkeypatch.setattr(loading, "ACTIVE_CHECK_SECONDS", 0.0)
    previous = ModelVersion.objects.get()
    broken = train_model_version(force=True)
    (media_root / broken.artifact.name).write_bytes(b"not a model")
    active_models.clear()

    with caplog.at_level(logging.ERROR, logger="recommendations.loading"):
        assert active_models.get(default_workspace_id()).version_id == previous.pk
        client.force_login(member)
        response = client.get(reverse("home"))

    assert response.status_code == 200
    assert f"cannot load the artifact of model version {broken.pk}" in caplog.text
    assert titles(member)[0].startswith("Space")


def test_a_missing_artifact_with_nothing_to_fall_back_on_serves_popular_items(member, client, caplog, media_root):
    version = ModelVersion.objects.get()
    (media_root / version.artifact.name).unlink()
    active_models.clear()

    with caplog.at_level(logging.ERROR, logger="recommendations.loading"):
        client.force_login(member)
        response = client.get(reverse("home"))
        feed = feed_for_user(user=member, workspace=default_workspace_id(), limit=5)

    assert response.status_code == 200
    assert active_models.get(default_workspace_id()) is None and "cannot load the artifact" in caplog.text
    assert feed and all(r.reason == "Popular with everyone" for r in feed)


def test_a_scoring_error_serves_popular_items_and_is_logged(member, monkeypatch, caplog):
    loaded = active_models.get(default_workspace_id())
    monkeypatch.setattr(loaded.model, "recommend_explained", lambda *a, **k: 1 / 0)

    with caplog.at_level(logging.ERROR, logger="recommendations.serving"):
        feed = feed_for_user(user=member, workspace=default_workspace_id(), limit=5)

    assert feed and feed[0].reason == "Popular with everyone"
    assert "ZeroDivisionError" in caplog.text
