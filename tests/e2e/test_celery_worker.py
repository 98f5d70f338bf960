import pytest
from django.urls import reverse

from catalog.models import Rating
from config.celery import app
from recommendations.models import ModelVersion
from recommendations.tasks import train_model
from tests.catalog_builders import build_tiny_catalog
from tests.e2e.workers import celery_workers
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_trains_a_model_that_the_feed_then_uses(client, media_root):
    catalog = build_tiny_catalog()
    member = UserFactory(username="e2e")
    Rating.objects.create(user=member, item=catalog.scifi[0], value=5.0)
    Rating.objects.create(user=member, item=catalog.scifi[2], value=4.5)
    app.control.purge()

    with celery_workers(1):
        version_id = train_model.delay(ModelVersion.Trigger.MANUAL).get(timeout=180)

    version = ModelVersion.objects.get(pk=version_id)
    assert version.status == ModelVersion.Status.ACTIVE, version.error
    assert version.n_users == 21
    client.force_login(member)
    recommendations = client.get(reverse("home")).context["recommendations"]
    top = [card.item for card in recommendations[:4]]
    assert sum(item in catalog.scifi for item in top) >= 3, top
    assert any(card.reason.startswith("Because you rated Space ") for card in recommendations[:4])
