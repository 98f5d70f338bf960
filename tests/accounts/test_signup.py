import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
STRONG = "plum-Orchard-Lantern-83"


def signup(client, **overrides):
    data = {"username": "newbie", "email": "newbie@example.com", "password1": STRONG, "password2": STRONG}
    return client.post(reverse("signup"), data | overrides)


def test_it_creates_an_account_logs_in_and_goes_to_onboarding(client):
    response = signup(client)

    assert response.status_code == 302 and response.url == reverse("onboarding")
    user = get_user_model().objects.get(username="newbie")
    assert user.email == "newbie@example.com"
    assert client.get(reverse("home")).context["user"] == user


@pytest.mark.parametrize("password", ["short1A", "password123", "12345678901234", "newbie@example.com"])
def test_it_rejects_weak_passwords(client, password):
    response = signup(client, password1=password, password2=password)

    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_it_rejects_an_email_already_in_use(client):
    UserFactory(username="first", email="Taken@example.com")
    response = signup(client, email="taken@EXAMPLE.com")
    assert "already exists" in response.content.decode()


def test_it_requires_an_email(client):
    response = signup(client, email="")
    assert response.context["form"].errors["email"]


def test_it_sends_members_home_instead_of_signing_up_again(client):
    client.force_login(UserFactory())
    assert client.get(reverse("signup")).url == reverse("home")


def test_the_login_page_links_to_sign_up_and_password_reset(client):
    content = client.get(reverse("login")).content.decode()
    assert reverse("signup") in content and reverse("password_reset") in content


def test_it_logs_in_with_the_right_password(client):
    UserFactory(username="alice", password=STRONG)
    response = client.post(reverse("login"), {"username": "alice", "password": STRONG})
    assert response.status_code == 302 and response.url == reverse("home")


def test_logout_is_a_post(client):
    client.force_login(UserFactory())
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert not client.get(reverse("home")).context["user"].is_authenticated


def test_it_locks_the_account_after_repeated_failed_logins(client, settings):
    UserFactory(username="alice", password=STRONG)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": "alice", "password": "wrong-guess-000"})
        assert response.status_code == 200

    response = client.post(reverse("login"), {"username": "alice", "password": "wrong-guess-000"})

    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
    assert "alice" in response.content.decode()
    # Even the right password waits for the cool-off now.
    response = client.post(reverse("login"), {"username": "alice", "password": STRONG})
    assert response.status_code == 429


def test_it_resets_a_forgotten_password_by_email(client):
    UserFactory(username="alice", email="alice@example.com")

    response = client.post(reverse("password_reset"), {"email": "alice@example.com"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "Reset your Encore password"
    link = next(line for line in mail.outbox[0].body.splitlines() if "/reset/" in line)
    path = link.split("testserver", 1)[1]
    form_url = client.get(path).url  # Django swaps the token for a session-held one
    response = client.post(form_url, {"new_password1": STRONG + "x", "new_password2": STRONG + "x"})
    assert response.status_code == 302
    assert get_user_model().objects.get(username="alice").check_password(STRONG + "x")


def test_a_used_reset_link_says_it_expired(client):
    response = client.get(reverse("password_reset_confirm", args=["MQ", "bad-token"]))
    assert "This link has expired" in response.content.decode()


def test_it_changes_the_password(client):
    user = UserFactory(username="alice", password=STRONG)
    client.force_login(user)

    response = client.post(
        reverse("password_change"),
        {"old_password": STRONG, "new_password1": "another-Long-Phrase-7", "new_password2": "another-Long-Phrase-7"},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-Long-Phrase-7")
