"""Each workspace trains and serves its own model: nothing of one workspace's training, versions,
artifacts or loaded model reaches another's."""

import hashlib
import io
import weakref
from pathlib import Path

import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.utils import timezone

from catalog.models import Item, Rating
from catalog.services import rating_upsert
from core.models import Workspace
from core.workspaces import default_workspace_id
from recommendations import loading
from recommendations.engine import load_model
from recommendations.feed_cache import Person, feed_cached
from recommendations.loading import active_models
from recommendations.models import ModelVersion, TrendingScore
from recommendations.serving import feed_for_user, popular_items, similar_items_for
from recommendations.tasks import refresh_trending
from recommendations.training import (
    TrainingAlreadyRunning,
    model_version_rollback,
    model_versions_retire,
    train_model_version,
    training_data_extract,
)
from recommendations.trending import trending_items, trending_refresh
from tests.factories import WorkspaceFactory
from tests.recommendations.builders import build_random_catalog, build_tenant_catalog, people_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(db, media_root):
    """Workspaces "alpha" and "beta", each with its own two-taste catalog and people."""
    alpha, beta = WorkspaceFactory(slug="alpha"), WorkspaceFactory(slug="beta")
    return {
        "alpha": (alpha, build_tenant_catalog(alpha, prefix="Alpha")),
        "beta": (beta, build_tenant_catalog(beta, prefix="Beta")),
    }


def sha256(version: ModelVersion) -> str:
    return hashlib.sha256(Path(version.artifact.path).read_bytes()).hexdigest()


def item_pks(catalog) -> set[int]:
    return {item.pk for item in catalog.scifi + catalog.romance}


def active(workspace) -> ModelVersion | None:
    return ModelVersion.objects.active().filter(workspace=workspace).first()


# --- training ------------------------------------------------------------------------------------


def test_a_model_holds_only_its_workspaces_items_and_people(two):
    (alpha, mine), theirs = two["alpha"], two["beta"][1]

    version = train_model_version(workspace_id=alpha.pk)

    assert version.workspace == alpha and version.status == ModelVersion.Status.ACTIVE, version.error
    with version.artifact.open("rb") as handle:
        _, extra = load_model(handle)
    assert set(extra["item_ids"].tolist()) == item_pks(mine)
    assert set(extra["user_ids"].tolist()) == {user.pk for user in mine.fans + mine.lovers}
    assert not set(extra["item_ids"].tolist()) & item_pks(theirs)
    assert not set(extra["user_ids"].tolist()) & {user.pk for user in theirs.fans + theirs.lovers}
    assert (
        version.n_items == 16
        and version.n_users == 20
        and version.n_interactions == Rating.objects.filter(item__workspace=alpha).count()
    )


def test_the_extract_reads_the_workspaces_ratings_events_and_texts_only(two):
    mine, beta = two["alpha"][1], two["beta"][0]

    data = training_data_extract(workspace_id=beta.pk)

    assert not set(data.item_ids.tolist()) & item_pks(mine)
    assert data.n_events == Rating.objects.filter(item__workspace=beta).count()
    assert all(text.startswith("Beta") for text in data.item_texts)


def test_artifacts_are_stored_per_workspace(two):
    alpha, beta = two["alpha"][0], two["beta"][0]

    a, b = train_model_version(workspace_id=alpha.pk), train_model_version(workspace_id=beta.pk)

    assert a.artifact.name == f"models/alpha/model-{a.pk}.npz"
    assert b.artifact.name == f"models/beta/model-{b.pk}.npz"


def test_training_one_workspace_leaves_anothers_version_and_artifact_untouched(two):
    alpha, beta = two["alpha"][0], two["beta"][0]
    train_model_version(workspace_id=alpha.pk)
    theirs = train_model_version(workspace_id=beta.pk)
    before = sha256(theirs)

    for _ in range(2):
        train_model_version(workspace_id=alpha.pk, force=True)

    assert active(beta) == theirs
    assert sha256(ModelVersion.objects.get(pk=theirs.pk)) == before
    assert active(alpha).pk > theirs.pk


def test_a_run_in_one_workspace_does_not_hold_up_another(two):
    alpha, beta = two["alpha"][0], two["beta"][0]
    running = ModelVersion.objects.create(workspace=alpha, algorithm="hybrid", heartbeat_at=timezone.now())

    other = train_model_version(workspace_id=beta.pk)
    with pytest.raises(TrainingAlreadyRunning) as refused:
        train_model_version(workspace_id=alpha.pk)

    assert other.status == ModelVersion.Status.ACTIVE and other.workspace == beta
    assert refused.value.running == running


def test_the_quality_guard_compares_with_the_workspaces_own_serving_version(two):
    alpha, beta = two["alpha"][0], two["beta"][0]
    best = train_model_version(workspace_id=alpha.pk)
    ModelVersion.objects.filter(pk=best.pk).update(metrics={**best.metrics, "ndcg@10": 0.999})

    first_of_beta = train_model_version(workspace_id=beta.pk)
    worse = train_model_version(workspace_id=alpha.pk)

    assert first_of_beta.status == ModelVersion.Status.ACTIVE  # alpha's better model is not beta's to beat
    worse.refresh_from_db()
    assert worse.status == ModelVersion.Status.READY and f"v{best.pk}'s" in worse.note


def test_the_quality_guard_uses_the_workspaces_tolerance(two, settings):
    alpha = two["alpha"][0]
    settings.ENCORE_QUALITY_TOLERANCE = 0.0
    best = train_model_version(workspace_id=alpha.pk)
    ModelVersion.objects.filter(pk=best.pk).update(metrics={**best.metrics, "ndcg@10": best.ndcg * 1.5})
    Workspace.objects.filter(pk=alpha.pk).update(quality_tolerance=0.5)

    assert train_model_version(workspace_id=alpha.pk).status == ModelVersion.Status.ACTIVE


def test_the_workspaces_algorithm_is_trained_unless_another_is_asked_for(two):
    alpha, beta = two["alpha"][0], two["beta"][0]
    Workspace.objects.filter(pk=alpha.pk).update(algorithm="popularity")

    assert train_model_version(workspace_id=alpha.pk).algorithm == "popularity"
    assert train_model_version(workspace_id=alpha.pk, algorithm="ease").algorithm == "ease"
    assert train_model_version(workspace_id=beta.pk).algorithm == "hybrid"


def test_roll_back_restores_the_workspaces_previous_version_only(two):
    alpha, beta = two["alpha"][0], two["beta"][0]
    first = train_model_version(workspace_id=alpha.pk)
    theirs = train_model_version(workspace_id=beta.pk)
    train_model_version(workspace_id=alpha.pk, force=True)

    assert model_version_rollback(workspace_id=alpha.pk) == first
    assert active(alpha) == first and active(beta) == theirs
    assert model_version_rollback(workspace_id=beta.pk) is None  # beta never had an earlier version
    assert active(beta) == theirs


def test_retention_keeps_versions_per_workspace(two, settings):
    alpha, beta = two["alpha"][0], two["beta"][0]
    theirs = train_model_version(workspace_id=beta.pk)
    settings.ENCORE_KEEP_VERSIONS = 1

    mine = [train_model_version(workspace_id=alpha.pk, force=True) for _ in range(3)]
    model_versions_retire()

    assert ModelVersion.objects.get(pk=theirs.pk).artifact  # the newest of beta, however old
    assert [bool(ModelVersion.objects.get(pk=v.pk).artifact) for v in mine] == [False, False, True]


def test_a_broken_artifact_hands_over_to_the_workspaces_own_previous_version(two, monkeypatch):
    monkeypatch.setattr(loading, "ACTIVE_CHECK_SECONDS", 0.0)
    alpha, beta = two["alpha"][0], two["beta"][0]
    previous = train_model_version(workspace_id=alpha.pk)
    theirs = train_model_version(workspace_id=beta.pk)
    broken = train_model_version(workspace_id=alpha.pk, force=True)
    Path(broken.artifact.path).write_bytes(b"")

    assert active_models.get(alpha.pk).version_id == previous.pk
    assert active(alpha) == previous and active(beta) == theirs
    assert active_models.health(beta.pk) == ""


# --- serving -------------------------------------------------------------------------------------


def test_each_workspace_is_served_by_its_own_model(two):
    (alpha, mine), (beta, theirs) = two["alpha"], two["beta"]
    a, b = train_model_version(workspace_id=alpha.pk), train_model_version(workspace_id=beta.pk)
    member = people_of(alpha, "alpha-member")[0]
    Rating.objects.create(user=member, item=mine.scifi[0], value=5.0)

    feed = feed_for_user(user=member, workspace=alpha.pk, limit=10)

    assert active_models.get(alpha.pk).version_id == a.pk and active_models.get(beta.pk).version_id == b.pk
    assert feed and {r.item.pk for r in feed} <= item_pks(mine)
    assert feed[0].reason.startswith("Because you rated Alpha Space 0")
    assert {i.pk for i in similar_items_for(item=theirs.scifi[0], limit=5)} <= item_pks(theirs)
    assert {i.pk for i in popular_items(workspace=beta.pk, limit=50)} == item_pks(theirs)


@pytest.fixture
def legacy(tiny_catalog, media_root):
    """A model trained before workspaces existed: half of what it learned now belongs to "partner"."""
    version = train_model_version()
    partner = WorkspaceFactory(slug="partner")
    moved = tiny_catalog.scifi[4:] + tiny_catalog.romance[4:]
    Item.objects.filter(pk__in=[item.pk for item in moved]).update(workspace=partner)
    return version, partner, {item.pk for item in moved}


def test_a_model_that_holds_another_workspaces_items_never_serves_them(legacy, tiny_catalog, client):
    version, partner, moved = legacy
    with version.artifact.open("rb") as handle:
        assert moved <= set(load_model(handle)[1]["item_ids"].tolist())
    member = people_of(Workspace.objects.get(pk=default_workspace_id()), "member")[0]
    Rating.objects.create(user=member, item=tiny_catalog.scifi[0], value=5.0)

    feed = feed_for_user(user=member, workspace=default_workspace_id(), limit=20)
    similar = similar_items_for(item=tiny_catalog.scifi[0], limit=20)
    client.force_login(member)
    page = client.get("/").context["rows"]
    api = client.get("/api/v1/me/feed/", {"limit": 20}).json()["results"]

    assert feed and feed[0].reason.startswith("Because you rated Space 0")
    assert not {r.item.pk for r in feed} & moved
    assert similar and not {i.pk for i in similar} & moved
    assert not {card.item.pk for row in page for card in row.cards} & moved
    assert api and not {r["item"]["id"] for r in api} & moved
    assert active_models.get(default_workspace_id()).version_id == version.pk


def test_the_other_workspace_gets_none_of_the_legacy_models_picks(legacy, tiny_catalog):
    version, partner, moved = legacy
    person = people_of(partner, "partner-person")[0]
    Rating.objects.create(user=person, item=Item.objects.get(pk=min(moved)), value=5.0)

    feed = feed_for_user(user=person, workspace=partner.pk, limit=20)

    assert active_models.get(partner.pk) is None  # nothing trained for it: its popular items serve
    assert feed and {r.item.pk for r in feed} <= moved
    assert all(r.reason == "Popular with everyone" for r in feed)


def test_trending_is_per_workspace(two):
    (alpha, mine), (beta, theirs) = two["alpha"], two["beta"]

    trending_refresh(workspace=alpha.pk)
    trending_refresh(workspace=beta.pk)

    assert {i.pk for i in trending_items(workspace=alpha.pk, limit=50)} == item_pks(mine)
    assert {i.pk for i in trending_items(workspace=beta.pk, limit=50)} == item_pks(theirs)


def test_the_periodic_trending_refresh_recomputes_only_workspaces_with_new_activity(two):
    (alpha, mine), beta = two["alpha"], two["beta"][0]
    Rating.objects.update(updated_at=timezone.now() - timezone.timedelta(days=60))
    refresh_trending.apply().get()

    def computed(workspace):
        return set(TrendingScore.objects.filter(item__workspace=workspace).values_list("computed_at", flat=True))

    before = {workspace: computed(workspace) for workspace in (alpha, beta)}
    rating_upsert(user=mine.lovers[0], item=mine.scifi[1], value=5.0)
    refresh_trending.apply().get()

    assert computed(beta) == before[beta]  # a quiet workspace costs nothing
    assert computed(alpha) != before[alpha]
    assert trending_items(workspace=alpha.pk, limit=1)[0] == mine.scifi[1]


def test_anonymous_visitors_of_a_workspace_get_its_popular_items(two):
    beta, theirs = two["beta"]

    feed = feed_for_user(user=AnonymousUser(), workspace=beta.pk, limit=50)

    assert {r.item.pk for r in feed} == item_pks(theirs)


# --- the cache of loaded models ------------------------------------------------------------------


def test_activating_a_version_in_one_workspace_never_reloads_anothers_model(two, monkeypatch):
    alpha, beta = two["alpha"][0], two["beta"][0]
    train_model_version(workspace_id=alpha.pk)
    train_model_version(workspace_id=beta.pk)
    theirs = active_models.get(beta.pk)
    active_models.get(alpha.pk)
    monkeypatch.setattr(loading, "ACTIVE_CHECK_SECONDS", 0.0)

    newer = train_model_version(workspace_id=alpha.pk, force=True)

    assert active_models.get(alpha.pk).version_id == newer.pk
    assert active_models.get(beta.pk) is theirs


@pytest.fixture
def three_models(db, media_root, settings):
    """Three workspaces whose EASE models take between two thirds of a megabyte and one each."""
    settings.ENCORE_MODEL_CACHE_MB = 1
    workspaces = [WorkspaceFactory(slug=slug) for slug in ("one", "two", "three")]
    for seed, workspace in enumerate(workspaces):
        build_random_catalog(n_users=80, n_items=440, per_user=90, seed=seed, workspace_id=workspace.pk)
        version = train_model_version(workspace_id=workspace.pk, algorithm="ease")
        assert version.status == ModelVersion.Status.ACTIVE, version.error
    return workspaces


def test_the_least_recently_used_model_leaves_memory_first_and_loads_again_on_use(three_models):
    one, two, three = (w.pk for w in three_models)
    first = active_models.get(one)
    assert 2**21 / 3 < first.nbytes < 2**20  # one fits in a megabyte, two in two, not three

    active_models.get(two)
    assert list(active_models.loaded()) == [two]  # one was the least recently used

    active_models.get(three)
    assert list(active_models.loaded()) == [three]
    again = active_models.get(one)
    assert again is not first and again.version_id == first.version_id
    assert list(active_models.loaded()) == [one]


def test_models_that_fit_stay_loaded_in_order_of_use(three_models, settings):
    settings.ENCORE_MODEL_CACHE_MB = 2
    one, two, three = (w.pk for w in three_models)
    kept = active_models.get(one)

    active_models.get(two)
    active_models.get(one)  # used again: now two is the least recently used
    active_models.get(three)

    assert list(active_models.loaded()) == [one, three]
    assert active_models.get(one) is kept


def test_the_most_recently_used_model_stays_however_large(three_models, settings):
    one = three_models[0].pk
    model = active_models.get(one)
    settings.ENCORE_MODEL_CACHE_MB = 0  # smaller than any model

    active_models.get(three_models[1].pk)

    assert list(active_models.loaded()) == [three_models[1].pk]
    assert active_models.get(one).version_id == model.version_id


def test_a_model_that_leaves_the_cache_is_freed(three_models):
    loaded = weakref.ref(active_models.get(three_models[0].pk))

    active_models.get(three_models[1].pk)

    assert loaded() is None


def test_a_models_size_counts_its_arrays(two):
    alpha = two["alpha"][0]
    version = train_model_version(workspace_id=alpha.pk, algorithm="ease")
    model, extra = load_model(io.BytesIO(Path(version.artifact.path).read_bytes()))

    loaded = active_models.get(alpha.pk)

    assert model.nbytes() >= model.B.nbytes + model.prior.nbytes
    assert loaded.nbytes >= model.nbytes() + extra["item_ids"].nbytes
    assert np.array_equal(loaded.columns([loaded.item_ids[3], -5]), [3, -1])


def test_a_cached_feed_follows_its_own_workspaces_model_only(two, monkeypatch):
    monkeypatch.setattr(loading, "ACTIVE_CHECK_SECONDS", 0.0)
    (alpha, mine), beta = two["alpha"], two["beta"][0]
    first = train_model_version(workspace_id=alpha.pk)
    train_model_version(workspace_id=beta.pk)
    built = []

    def feed():
        def build(*, user_id, version):
            built.append(version)
            return version, []

        return feed_cached(
            person=Person(user_id=mine.fans[0].pk), workspace=alpha.pk, scope="t", params={}, build=build
        )

    assert feed() == first.pk and feed() == first.pk and len(built) == 1
    train_model_version(workspace_id=beta.pk, force=True)
    assert feed() == first.pk and len(built) == 1  # another workspace's activation changes nothing here
    second = train_model_version(workspace_id=alpha.pk, force=True)
    assert feed() == second.pk and len(built) == 2


# --- the command ---------------------------------------------------------------------------------


def test_the_train_command_trains_the_workspace_it_names(two, capsys):
    beta = two["beta"][0]

    call_command("train", "--inline", "--workspace", "beta")

    version = ModelVersion.objects.get()
    assert version.workspace == beta and version.status == ModelVersion.Status.ACTIVE
    assert f"v{version.pk} " in capsys.readouterr().out


def test_the_train_command_names_the_workspaces_there_are_when_one_is_unknown(two):
    with pytest.raises(CommandError, match='no workspace "gamma".*alpha, beta'):
        call_command("train", "--inline", "--workspace", "gamma")
    assert not ModelVersion.objects.exists()
