from io import StringIO

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from api.admin import ApiClientAdmin
from api.models import ApiClient
from catalog.models import Interaction, Item
from tests.api.conftest import make_partner
from tests.factories import ItemFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_create_api_client_prints_a_working_key_once(client):
    out, err = StringIO(), StringIO()
    call_command("create_api_client", "Partner", "--scopes", "read,write", stdout=out, stderr=err)
    key = out.getvalue().strip()
    stored = ApiClient.objects.get(name="Partner")
    assert stored.scopes == ["read", "write"]
    assert key not in stored.key_hash
    assert client.get("/api/v1/items/", HTTP_AUTHORIZATION=f"Api-Key {key}").status_code == 200


def test_create_api_client_refuses_unknown_scopes():
    with pytest.raises(CommandError, match="--scopes"):
        call_command("create_api_client", "Partner", "--scopes", "admin", stdout=StringIO(), stderr=StringIO())


def test_admin_lists_clients_and_revokes_them(client):
    staff = UserFactory(username="staff", is_staff=True, is_superuser=True)
    client.force_login(staff)
    api_client = ApiClient(name="Listed", scopes=["read"])
    key = api_client.set_new_key()
    api_client.save()
    assert client.get("/api/v1/items/", HTTP_AUTHORIZATION=f"Api-Key {key}").status_code == 200
    page = client.get("/admin/api/apiclient/").content.decode()
    assert "Listed" in page and api_client.key_prefix in page
    response = client.post(
        "/admin/api/apiclient/", {"action": "revoke", "_selected_action": [api_client.pk]}, follow=True
    )
    assert response.status_code == 200
    api_client.refresh_from_db()
    assert api_client.is_revoked
    # Refused at once, although this process had just seen the key.
    assert client.get("/api/v1/items/", HTTP_AUTHORIZATION=f"Api-Key {key}").status_code == 401


def test_admin_shows_a_new_key_once():
    admin = ApiClientAdmin(ApiClient, site)
    request = RequestFactory().post("/")
    shown = []
    admin.message_user = lambda request, message, level: shown.append(message)
    new = ApiClient(name="From admin", scopes=["read"])
    admin.save_model(request, new, form=None, change=False)
    assert new.key_hash and shown and new.key_prefix in shown[0]


def test_deleting_a_client_deletes_its_users_and_items():
    partner = make_partner("Leaving")
    own = ItemFactory(source=partner.client.item_source, source_id="x")
    shared = ItemFactory()
    partner.post("/api/v1/events/", [{"user": "u", "item": own.pk, "kind": "like"},
                                     {"user": "u", "item": shared.pk, "kind": "like"}])  # fmt: skip
    partner.client.delete()
    assert not get_user_model().objects.filter(username__startswith="api:").exists()
    assert not Interaction.objects.exists()
    assert list(Item.objects.all()) == [shared]


def test_admin_creates_a_client_with_checked_scopes(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/api/apiclient/add/", {"name": "New partner", "scopes": ["read", "write"], "throttle_rate": "60/min"},
        follow=True,
    )  # fmt: skip
    assert response.status_code == 200
    created = ApiClient.objects.get(name="New partner")
    assert (created.scopes, created.throttle_rate) == (["read", "write"], "60/min")
    assert "shown once" in response.content.decode()
    bad = client.post("/admin/api/apiclient/add/", {"name": "Bad", "scopes": ["root"], "throttle_rate": "fast"})
    assert bad.status_code == 200 and not ApiClient.objects.filter(name="Bad").exists()
