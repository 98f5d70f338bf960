"""Rules in the admin: staff see what each rule targets and cannot aim one at another workspace."""

import pytest
from django.urls import reverse

from core.workspaces import default_workspace
from recommendations.models import Rule
from tests.factories import GenreFactory, UserFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def form(workspace, **fields) -> dict:
    return {"workspace": workspace.pk, "name": "Rule", "action": "block", "weight": 2.0, "target": "genre",
            "placement": "", "is_active": "on", **fields}  # fmt: skip


def test_the_rule_list_says_what_each_rule_targets(root):
    Rule.objects.create(workspace=default_workspace(), name="No horror", action="block", target="genre",
                        genre=GenreFactory(name="Horror"))  # fmt: skip
    page = root.get(reverse("admin:recommendations_rule_changelist")).content.decode()
    assert "No horror" in page and "genre Horror" in page


def test_staff_add_a_rule_of_their_workspace(root):
    drama = GenreFactory(name="Drama")
    response = root.post(reverse("admin:recommendations_rule_add"), form(default_workspace(), genre=drama.pk))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Rule.objects.get().genre == drama


def test_a_genre_of_another_workspace_is_refused(root):
    foreign = GenreFactory(workspace=WorkspaceFactory(slug="elsewhere"), name="Noir")
    response = root.post(reverse("admin:recommendations_rule_add"), form(default_workspace(), genre=foreign.pk))
    assert response.status_code == 200
    assert "genre" in response.context["adminform"].form.errors
    assert not Rule.objects.exists()
