"""A model artifact that no longer reads back as written: noticed, reported, and routed around."""

import hashlib
from pathlib import Path

import pytest
from django.urls import reverse

from core.workspaces import default_workspace_id
from recommendations import loading
from recommendations.loading import ActiveModels, active_models
from recommendations.models import ModelVersion
from recommendations.training import model_version_activate, model_version_rollback, train_model_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def trained(tiny_catalog, media_root, monkeypatch):
    monkeypatch.setattr(loading, "ACTIVE_CHECK_SECONDS", 0.0)
    return train_model_version()


def stored(version) -> Path:
    return Path(version.artifact.storage.path(version.artifact.name))


def truncate(version):
    path = stored(version)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def health(client):
    response = client.get("/api/v1/health/")
    assert response.status_code == 200  # load balancers keep sending traffic either way
    return response.json()


def test_the_size_and_checksum_of_the_artifact_are_recorded(trained):
    content = stored(trained).read_bytes()

    trained.refresh_from_db()
    assert trained.artifact_size == len(content)
    assert trained.artifact_sha256 == hashlib.sha256(content).hexdigest()


def test_a_truncated_active_artifact_is_marked_broken_and_the_previous_version_takes_over(trained, client):
    second = train_model_version(force=True)
    truncate(second)

    assert active_models.get(default_workspace_id()).version_id == trained.pk
    second.refresh_from_db()
    assert second.status == ModelVersion.Status.BROKEN
    assert "bytes" in second.error  # the reason: fewer bytes than were written
    assert ModelVersion.objects.active().get() == trained
    body = health(client)
    assert body["status"] == "degraded" and f"v{second.pk}" in body["reason"]


def test_a_same_size_altered_artifact_is_caught_by_its_checksum(trained):
    second = train_model_version(force=True)
    path = stored(second)
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0xFF
    path.write_bytes(bytes(content))

    assert active_models.get(default_workspace_id()).version_id == trained.pk
    second.refresh_from_db()
    assert second.status == ModelVersion.Status.BROKEN and "checksum" in second.error


def test_health_is_ok_while_the_active_model_serves(trained, client):
    assert health(client) == {"status": "ok"}


def test_health_is_degraded_when_no_version_can_be_loaded(trained, client):
    stored(trained).write_bytes(b"")

    body = health(client)

    assert body["status"] == "degraded" and "No model version can be loaded" in body["reason"]
    assert ModelVersion.objects.get().status == ModelVersion.Status.BROKEN


def test_after_a_broken_artifact_an_unforced_retrain_of_a_weaker_model_takes_over(trained, client):
    truncate(trained)
    assert health(client)["status"] == "degraded"

    fallback = train_model_version(algorithm="popularity")

    assert fallback.ndcg < trained.ndcg * 0.95  # the guard would refuse it next to a serving hybrid
    assert fallback.status == ModelVersion.Status.ACTIVE
    assert health(client) == {"status": "ok"}


def test_the_quality_guard_checks_the_active_artifact_even_before_any_web_process_did(trained):
    truncate(trained)

    fallback = train_model_version(algorithm="popularity")

    assert fallback.status == ModelVersion.Status.ACTIVE, fallback.note
    trained.refresh_from_db()
    assert trained.status == ModelVersion.Status.BROKEN


def test_a_process_holding_a_good_copy_keeps_serving_it_when_the_file_goes(trained):
    assert active_models.get(default_workspace_id()).version_id == trained.pk
    stored(trained).write_bytes(b"")

    other_process = ActiveModels()
    assert other_process.get(default_workspace_id()) is None  # it cannot read the file: it marks the version broken

    assert ModelVersion.objects.get().status == ModelVersion.Status.BROKEN
    assert active_models.get(default_workspace_id()).version_id == trained.pk  # this one still has the model in memory
    assert "serves from memory" in active_models.health(default_workspace_id())


def test_roll_back_skips_a_version_whose_artifact_is_unreadable(trained):
    second = train_model_version(force=True)
    third = train_model_version(force=True)
    stored(second).unlink()

    assert model_version_rollback() == trained
    second.refresh_from_db()
    assert second.status == ModelVersion.Status.BROKEN
    assert ModelVersion.objects.active().get() == trained
    third.refresh_from_db()
    assert third.status == ModelVersion.Status.READY


def test_activating_a_version_with_an_unreadable_artifact_is_refused(trained):
    second = train_model_version(force=True)
    model_version_activate(version=trained)
    truncate(second)

    with pytest.raises(ValueError, match="unreadable"):
        model_version_activate(version=ModelVersion.objects.get(pk=second.pk))

    assert ModelVersion.objects.active().get() == trained
    assert ModelVersion.objects.get(pk=second.pk).status == ModelVersion.Status.BROKEN


def test_the_admin_shows_a_broken_version_and_why(trained, admin_client):
    truncate(trained)
    active_models.get(default_workspace_id())

    listing = admin_client.get(reverse("admin:recommendations_modelversion_changelist")).content.decode()
    detail = admin_client.get(reverse("admin:recommendations_modelversion_change", args=[trained.pk])).content.decode()

    for page in (listing, detail):
        assert "Broken" in page and "Artifact unreadable" in page


def test_health_answers_plain_http_probes_where_the_site_redirects_to_https(trained, client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/api/v1/health/").status_code == 200
    assert client.get("/").status_code == 301
