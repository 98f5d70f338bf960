import pytest

from recommendations.serving import active_model
from tests.catalog_builders import tiny_catalog  # noqa: F401 - fixture


@pytest.fixture(autouse=True)
def _fresh_serving_cache():
    # Each test sees the active model of its own database, not a previous test's.
    active_model.clear()
    yield
    active_model.clear()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _empty_cache():
    # The locmem cache outlives a test's database: cached ids must not leak into the next test.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose (a third of a second per account here); factories
    # create dozens of accounts per test. Logging in and checking passwords work the same way.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
