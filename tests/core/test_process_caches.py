"""Every per-process cache is declared in core.process_caches, bounded, and emptied by clear_all()."""

import pytest

from api import authentication
from catalog.selectors import title_index
from core import process_caches
from core.workspaces import default_workspace_id
from games import serving as game_serving
from recommendations import sharding
from recommendations.loading import active_models

pytestmark = pytest.mark.django_db


def test_every_cache_is_registered_and_clear_all_empties_them(tiny_catalog):
    title_index.get()
    authentication._recent["k"] = (1e18, None)
    game_serving._loaded[1] = (None, None)
    sharding._prepared[(1, "full")] = ()
    active_models.get(default_workspace_id())

    process_caches.clear_all()

    assert set(process_caches._clearers) >= {
        "API keys", "the serving models", "title words for search", "game controllers", "a training run's matrices",
    }  # fmt: skip
    assert not authentication._recent and not game_serving._loaded and not sharding._prepared
    assert not active_models.loaded()
    assert title_index.words == {} and title_index._stamp is None
