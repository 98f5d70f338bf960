from io import StringIO

import pytest
from django.contrib.admin.sites import site
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from api.admin import ApiClientAdmin
from api.models import ApiClient
from core.models import Workspace
from core.workspaces import default_workspace, default_workspace_id
from tests.factories import UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


def test_create_api_client_prints_a_working_key_once(client):
    out, err = StringIO(), StringIO()
    call_command("create_api_client", "Partner", "--scopes", "read,write", stdout=out, stderr=err)
    key = out.getvalue().strip()
    stored = ApiClient.objects.get(name="Partner")
    assert stored.scopes == ["read", "write"]
    assert key not in stored.key_hash
    assert client.get("/api/v1/items/", HTTP_AUTHORIZATION=f"Api-Key {key}").status_code == 200


def test_create_api_client_belongs_to_the_workspace_it_names(client):
    acme = WorkspaceFactory(slug="acme")
    out = StringIO()
    call_command("create_api_client", "Acme app", "--workspace", "acme", stdout=out, stderr=StringIO())
    assert ApiClient.objects.get(name="Acme app").workspace == acme
    call_command("create_api_client", "Site app", stdout=StringIO(), stderr=StringIO())
    assert ApiClient.objects.get(name="Site app").workspace_id == default_workspace_id()


def test_create_api_client_names_the_workspaces_when_one_is_unknown():
    WorkspaceFactory(slug="acme")
    with pytest.raises(CommandError, match='no workspace "acmee".*acme'):
        call_command("create_api_client", "X", "--workspace", "acmee", stdout=StringIO(), stderr=StringIO())
    assert not ApiClient.objects.filter(name="X").exists()


def test_create_workspace_makes_an_empty_tenant_and_refuses_bad_or_taken_slugs():
    out = StringIO()
    call_command("create_workspace", "acme", "--name", "Acme Corp", stdout=out)
    acme = Workspace.objects.get(slug="acme")
    assert acme.name == "Acme Corp" and not acme.items.exists()
    assert "create_api_client NAME --workspace acme" in out.getvalue()
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_workspace", "acme", stdout=StringIO())
    for bad in ["Acme Corp", "acme-", "a" * 51, "acme_1"]:
        with pytest.raises(CommandError, match="not a workspace slug"):
            call_command("create_workspace", bad, stdout=StringIO())


def test_create_api_client_refuses_unknown_scopes():
    with pytest.raises(CommandError, match="--scopes"):
        call_command("create_api_client", "Partner", "--scopes", "admin", stdout=StringIO(), stderr=StringIO())


def test_admin_lists_clients_and_revokes_them(client):
    staff = UserFactory(username="staff", is_staff=True, is_superuser=True)
    client.force_login(staff)
    api_client = ApiClient(workspace=default_workspace(), name="Listed", scopes=["read"])
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
    request.user = UserFactory(is_staff=True, is_superuser=True)
    shown = []
    admin.message_user = lambda request, message, level: shown.append(message)
    new = ApiClient(workspace=default_workspace(), name="From admin", scopes=["read"])
    admin.save_model(request, new, form=None, change=False)
    assert new.key_hash and shown and new.key_prefix in shown[0]


def test_admin_creates_a_client_with_checked_scopes(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/api/apiclient/add/",
        {"workspace": default_workspace_id(), "name": "New partner", "scopes": ["read", "write"],
         "throttle_rate": "60/min"},
        follow=True,
    )  # fmt: skip
    assert response.status_code == 200
    created = ApiClient.objects.get(name="New partner")
    assert (created.scopes, created.throttle_rate) == (["read", "write"], "60/min")
    assert "shown once" in response.content.decode()
    bad = client.post(
        "/admin/api/apiclient/add/",
        {"workspace": default_workspace_id(), "name": "Bad", "scopes": ["root"], "throttle_rate": "fast"},
    )
    assert bad.status_code == 200 and not ApiClient.objects.filter(name="Bad").exists()
