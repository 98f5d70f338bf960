import numpy as np
import pytest

from catalog.models import Interaction, ItemTag
from recommendations.engine import load_model
from recommendations.models import ModelVersion
from recommendations.training import train_model_version, training_data_extract
from tests.factories import GenreFactory, InteractionFactory, ItemFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_extract_maps_database_ids_to_matrix_indices(tiny_catalog):
    hidden = ItemFactory(is_active=False)
    InteractionFactory(user=tiny_catalog.fans[0], item=hidden)

    data = training_data_extract()

    assert hidden.pk not in data.item_ids
    assert data.matrix.shape == (len(data.user_ids), len(data.item_ids))
    fan = np.searchsorted(data.user_ids, tiny_catalog.fans[0].pk)
    space0 = np.searchsorted(data.item_ids, tiny_catalog.scifi[0].pk)
    love0 = np.searchsorted(data.item_ids, tiny_catalog.romance[0].pk)
    assert data.matrix[fan, space0] > 0
    assert data.matrix[fan, love0] == 0
    assert "Sci-Fi" in data.item_texts[space0]


def test_an_items_document_lists_its_genres_and_tags_in_name_order(tiny_catalog):
    # Linked in another order than their names': the document must not depend on how rows were written.
    item = ItemFactory(title="Arrival")
    item.genres.add(*(GenreFactory(name=name) for name in ("Sci-Fi", "Drama", "Mystery")))
    for name in ("linguistics", "aliens", "slow burn"):
        ItemTag.objects.create(item=item, tag=TagFactory(name=name))
    InteractionFactory(user=tiny_catalog.fans[0], item=item)

    data = training_data_extract()

    document = data.item_texts[np.searchsorted(data.item_ids, item.pk)]
    assert document == "Arrival Drama Mystery Sci-Fi aliens linguistics slow burn"


def test_a_dislike_is_negative_evidence(tiny_catalog):
    fan, item = tiny_catalog.fans[0], tiny_catalog.romance[1]
    InteractionFactory(user=fan, item=item, kind=Interaction.Kind.DISLIKE)

    data = training_data_extract()

    row, col = np.searchsorted(data.user_ids, fan.pk), np.searchsorted(data.item_ids, item.pk)
    assert data.matrix[row, col] < 0


def test_training_stores_an_artifact_and_activates_it(tiny_catalog, media_root):
    version = train_model_version()

    assert version.status == ModelVersion.Status.ACTIVE, version.error
    assert version.n_items == 16 and version.n_users == 20
    assert set(version.timings) >= {"extract", "fit", "evaluate", "write"}
    assert "ndcg@10" in version.metrics
    with version.artifact.open("rb") as handle:
        model, extra = load_model(handle)
    assert sorted(extra["item_ids"].tolist()) == sorted(i.pk for i in tiny_catalog.scifi + tiny_catalog.romance)


def test_a_new_version_replaces_the_active_one(tiny_catalog, media_root):
    first = train_model_version()
    second = train_model_version()

    first.refresh_from_db()
    assert second.status == ModelVersion.Status.ACTIVE
    assert first.status == ModelVersion.Status.READY
    assert list(ModelVersion.objects.active()) == [second]


def test_a_failed_training_is_recorded_and_keeps_the_active_version(tiny_catalog, media_root, settings):
    good = train_model_version()
    settings.ENCORE_MODEL_ALGORITHM = "no-such-algorithm"

    failed = train_model_version()

    assert failed.status == ModelVersion.Status.FAILED
    assert "no-such-algorithm" in failed.error
    assert list(ModelVersion.objects.active()) == [good]
