import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
STRONG = "plum-Orchard-Lantern-83"
WRONG = "wrong-guess-000"


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", password=STRONG)


def log_in(client, password):
    return client.post(reverse("login"), {"username": "alice", "password": password})


def fail_until_locked(client, settings):
    answers = [log_in(client, WRONG).status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert answers[-1] == 429 and set(answers[:-1]) == {200}


def test_it_locks_the_account_after_repeated_failed_logins(client, alice, settings):
    fail_until_locked(client, settings)

    response = log_in(client, WRONG)
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
    assert "alice" in response.content.decode()
    # Even the right password waits for the cool-off now.
    assert log_in(client, STRONG).status_code == 429


def test_behind_trusted_proxies_an_attacker_cannot_lock_the_owner_out(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # Every visitor reaches Encore through the same proxy; X-Forwarded-For carries who they are.
    attacker = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    owner = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")

    fail_until_locked(attacker, settings)

    assert log_in(attacker, STRONG).status_code == 429
    assert log_in(owner, STRONG).status_code == 302


def test_a_forged_forwarded_for_entry_does_not_escape_the_lockout(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    answers = [
        # The proxy appends the real address; whatever the client wrote before it is ignored.
        log_in(Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.9"), WRONG).status_code
        for i in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert answers[-1] == 429


def test_when_the_client_address_is_unknown_the_account_is_locked_for_everyone(alice, settings):
    # Behind a TLS proxy with TRUSTED_PROXY_COUNT unset, REMOTE_ADDR is the proxy's for every
    # visitor: keying on it would lock every member out at once, so the account alone is the key.
    settings.CLIENT_IP_KNOWN = False
    fail_until_locked(Client(REMOTE_ADDR="10.0.0.2"), settings)

    assert log_in(Client(REMOTE_ADDR="10.0.0.3"), STRONG).status_code == 429
    assert (
        Client(REMOTE_ADDR="10.0.0.3").post(reverse("login"), {"username": "bob", "password": WRONG}).status_code == 200
    )  # another account is not affected
