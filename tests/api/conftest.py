from dataclasses import dataclass

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.authentication import forget_recent_clients
from api.models import ApiClient
from catalog.models import Item
from tests.factories import ItemFactory


@dataclass
class Partner:
    client: ApiClient
    key: str
    http: APIClient

    def get(self, path, data=None):
        return self.http.get(path, data)

    def post(self, path, data):
        return self.http.post(path, data, format="json")

    def delete(self, path):
        return self.http.delete(path)


def make_partner(name: str = "Acme", scopes=("read", "write"), **fields) -> Partner:
    client = ApiClient(name=name, scopes=list(scopes), **fields)
    key = client.set_new_key()
    client.save()
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return Partner(client, key, http)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # Throttle counters and served feeds live in the cache; each test starts with a full budget.
    cache.clear()
    forget_recent_clients()
    yield
    cache.clear()


@pytest.fixture
def partner(db) -> Partner:
    return make_partner("Acme")


@pytest.fixture
def other_partner(db) -> Partner:
    return make_partner("Globex")


def own_item(partner: Partner, external_id: str, **fields) -> Item:
    return ItemFactory(source=partner.client.item_source, source_id=external_id, **fields)
