import time

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
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


def test_a_taken_email_gets_exactly_the_answer_a_fresh_one_gets(client):
    UserFactory(username="first", email="Taken@example.com")
    fresh = signup(Client(), username="fresh", email="fresh@example.com")

    taken = signup(client, username="second", email="taken@EXAMPLE.com")

    assert (taken.status_code, taken.url) == (fresh.status_code, fresh.url) == (302, reverse("onboarding"))
    page = client.get(taken.url)
    assert page.status_code == 200 and "already" not in page.content.decode()
    second = get_user_model().objects.get(username="second")
    assert page.context["user"] == second
    # The address stays with the account that has it: resets keep reaching its owner only.
    assert second.email == ""
    assert get_user_model().objects.get(username="fresh").email == "fresh@example.com"


def test_a_fresh_address_gets_a_welcome_mail(client, mail_tasks_run, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, email="newbie@example.com")

    assert [(m.to, m.subject) for m in mail.outbox] == [(["newbie@example.com"], "Welcome to Encore")]


def test_the_owner_of_a_taken_address_is_told_and_shown_the_way_back(
    client, mail_tasks_run, django_capture_on_commit_callbacks
):
    UserFactory(username="first", email="taken@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        signup(client, username="second", email="Taken@example.com")

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["taken@example.com"] and "tried to sign up" in sent.subject
    assert '"first"' in sent.body and "http://testserver" + reverse("password_reset") in sent.body
    assert "second" not in sent.body


def test_sign_ups_over_the_limit_get_a_429_page(settings):
    settings.SIGNUP_RATE_LIMIT = "2/h"
    answers = [signup(Client(REMOTE_ADDR="203.0.113.5"), username=f"member{i}").status_code for i in range(3)]

    assert answers == [302, 302, 429]
    assert get_user_model().objects.filter(username__startswith="member").count() == 2
    limited = signup(Client(REMOTE_ADDR="203.0.113.5"), username="member9")
    assert "Too many attempts" in limited.content.decode()
    # Another address is not held back by this one.
    assert signup(Client(REMOTE_ADDR="198.51.100.8"), username="member3").status_code == 302


def test_behind_trusted_proxies_the_limit_follows_the_client_not_the_proxy(settings):
    settings.SIGNUP_RATE_LIMIT = "1/h"
    settings.TRUSTED_PROXY_COUNT = 1

    def via_proxy(client_ip, username):
        return signup(Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=client_ip), username=username)

    assert via_proxy("203.0.113.5", "member1").status_code == 302
    assert via_proxy("198.51.100.8", "member2").status_code == 302
    # What the client writes itself (left of the proxy's entry) changes nothing.
    assert via_proxy("192.0.2.1, 203.0.113.5", "member3").status_code == 429


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


def test_with_the_broker_down_sign_up_still_answers_at_once(
    client, broker_unreachable, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client)

    assert time.monotonic() - started < 5
    assert response.status_code == 302 and response.url == reverse("onboarding")
    assert get_user_model().objects.filter(username="newbie").exists()


def browser() -> Client:
    """A visitor behind the proxy who opened the sign-up page, as a browser does before posting it."""
    client = Client(REMOTE_ADDR="10.0.0.2")
    client.get(reverse("signup"))
    return client


def test_behind_a_proxy_hiding_addresses_one_visitor_cannot_use_up_everyone_s_sign_ups(settings):
    # REMOTE_ADDR is the proxy's for every visitor: counting by it would cap the whole site.
    settings.SIGNUP_RATE_LIMIT, settings.CLIENT_IP_KNOWN = "2/h", False
    eager = browser()
    tries = [signup(eager, username="eager", password2="mismatch").status_code for _ in range(3)]

    others = [signup(browser(), username=f"member{i}").status_code for i in range(3)]

    assert tries == [200, 200, 429]
    assert others == [302, 302, 302]
