from dataclasses import dataclass

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.authentication import forget_recent_clients
from api.models import ApiClient
from catalog.models import API_ITEM_SOURCE, Item
from core.models import Workspace
from core.workspaces import default_workspace
from tests.factories import ItemFactory, WorkspaceFactory


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


def make_partner(name: str = "Acme", scopes=("read", "write"), workspace: Workspace | None = None, **fields) -> Partner:
    """A client of `workspace` (default: the website's, `default`)."""
    client = ApiClient(workspace=workspace or default_workspace(), name=name, scopes=list(scopes), **fields)
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
    """A client of `default`: it works on the public catalog."""
    return make_partner("Acme")


@pytest.fixture
def other_partner(db) -> Partner:
    """A client of another workspace, "globex"."""
    return make_partner("Globex", workspace=WorkspaceFactory(slug="globex"))


@pytest.fixture
def tenant_partner(db) -> Partner:
    """A client of its own workspace, "initech", whose catalog the website never shows."""
    return make_partner("Initech", workspace=WorkspaceFactory(slug="initech"))


def own_item(partner: Partner, external_id: str, **fields) -> Item:
    """An item the partner sent over the API, in its workspace."""
    return ItemFactory(workspace=partner.client.workspace, source=API_ITEM_SOURCE, source_id=external_id, **fields)
