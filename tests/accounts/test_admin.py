import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from accounts.models import Profile
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_staff_see_a_members_onboarding_state(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    member = UserFactory(username="member")
    Profile.objects.filter(user=member).update(onboarding_skipped=True)

    response = client.get(reverse("admin:auth_user_change", args=[member.pk]))

    assert response.status_code == 200
    assert "onboarding" in response.content.decode().lower()


def test_staff_deleting_people_takes_their_ratings_out_of_the_counters(client):
    from catalog.services import rating_upsert
    from tests.factories import ItemFactory

    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    item = ItemFactory()
    spammers = [UserFactory(username=f"spam{i}") for i in range(3)]
    fan = UserFactory(username="fan")
    for person in spammers:
        rating_upsert(user=person, item=item, value=5.0)
    rating_upsert(user=fan, item=item, value=1.0)

    one = client.post(reverse("admin:auth_user_delete", args=[spammers[0].pk]), {"post": "yes"})
    many = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "delete_selected", "_selected_action": [p.pk for p in spammers[1:]], "post": "yes"},
    )

    assert one.status_code == 302 and many.status_code == 302
    item.refresh_from_db()
    assert (item.rating_count, item.rating_avg) == (1, 1.0)
    assert list(User.objects.filter(username__startswith="spam")) == []


def test_staff_remove_an_abusive_rating_and_the_counters_follow(client):
    from catalog.models import Rating
    from catalog.services import rating_upsert
    from tests.factories import ItemFactory

    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    item = ItemFactory()
    abuse = rating_upsert(user=UserFactory(), item=item, value=0.5)
    rating_upsert(user=UserFactory(), item=item, value=4.0)

    response = client.post(reverse("admin:catalog_rating_delete", args=[abuse.pk]), {"post": "yes"})

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.rating_count, item.rating_avg) == (1, 4.0)
    assert not Rating.objects.filter(pk=abuse.pk).exists()


def test_staff_cannot_write_ratings_or_events_in_the_admin(client):
    from catalog.services import rating_upsert
    from tests.factories import ItemFactory

    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    rating = rating_upsert(user=UserFactory(), item=ItemFactory(), value=4.0)

    assert client.get(reverse("admin:catalog_rating_changelist")).status_code == 200
    assert client.get(reverse("admin:catalog_rating_add")).status_code == 403
    assert client.get(reverse("admin:catalog_interaction_add")).status_code == 403
    page = client.get(reverse("admin:catalog_rating_change", args=[rating.pk]))
    assert page.status_code == 200 and b'name="value"' not in page.content  # view only
