import pytest
from django.urls import reverse

from accounts.models import Profile
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_staff_see_a_members_onboarding_state(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    member = UserFactory(username="member")
    Profile.objects.create(user=member, onboarding_skipped=True)

    response = client.get(reverse("admin:auth_user_change", args=[member.pk]))

    assert response.status_code == 200
    assert "onboarding" in response.content.decode().lower()
