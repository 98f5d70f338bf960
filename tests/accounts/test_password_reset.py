import logging
import time

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
STRONG = "plum-Orchard-Lantern-83"


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", email="alice@example.com")


def ask_for_reset(client, email, capture):
    with CaptureQueriesContext(connection) as queries, capture() as callbacks:
        response = client.post(reverse("password_reset"), {"email": email})
    return response, [q["sql"] for q in queries.captured_queries], callbacks


def test_known_and_unknown_addresses_get_the_same_answer_after_the_same_work(alice, django_capture_on_commit_callbacks):
    known = ask_for_reset(Client(), "alice@example.com", django_capture_on_commit_callbacks)
    unknown = ask_for_reset(Client(), "nobody@example.com", django_capture_on_commit_callbacks)

    (known_response, known_sql, known_queued), (unknown_response, unknown_sql, unknown_queued) = known, unknown
    assert (known_response.status_code, known_response.url) == (unknown_response.status_code, unknown_response.url)
    assert known_response.url == reverse("password_reset_done")
    # Nothing is looked up or mailed while the visitor waits: one queued task either way.
    assert known_sql == unknown_sql
    assert len(known_queued) == len(unknown_queued) == 1
    assert mail.outbox == []


def test_the_task_mails_a_known_address_and_the_link_resets_the_password(
    client, alice, mail_tasks_run, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "Alice@example.com"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == "Reset your Encore password"
    assert mail.outbox[0].to == ["alice@example.com"]
    link = next(line for line in mail.outbox[0].body.splitlines() if "/reset/" in line)
    path = link.split("testserver", 1)[1]
    form_url = client.get(path).url  # Django swaps the token for a session-held one
    response = client.post(form_url, {"new_password1": STRONG + "x", "new_password2": STRONG + "x"})
    assert response.status_code == 302
    assert get_user_model().objects.get(username="alice").check_password(STRONG + "x")


def test_the_task_sends_nothing_for_an_unknown_address(
    client, alice, mail_tasks_run, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_with_the_broker_down_the_page_answers_the_same_at_once_and_logs_it(
    alice, broker_unreachable, caplog, django_capture_on_commit_callbacks
):
    answers = []
    for email in ("alice@example.com", "nobody@example.com"):
        started = time.monotonic()
        with caplog.at_level(logging.ERROR, logger="accounts.emails"), django_capture_on_commit_callbacks(execute=True):
            response = Client().post(reverse("password_reset"), {"email": email})
        answers.append((response.status_code, response.url, time.monotonic() - started < 5))

    assert answers == [(302, reverse("password_reset_done"), True)] * 2
    failures = [r for r in caplog.records if "could not queue accounts.send_password_reset" in r.getMessage()]
    assert len(failures) == 2
    assert mail.outbox == []


def test_reset_requests_over_the_limit_get_a_429_page(alice, settings):
    settings.PASSWORD_RESET_RATE_LIMIT = "2/h"
    client = Client(REMOTE_ADDR="203.0.113.5")
    answers = [client.post(reverse("password_reset"), {"email": f"n{i}@example.com"}).status_code for i in range(3)]

    assert answers == [302, 302, 429]
    assert "Too many attempts" in client.post(reverse("password_reset"), {"email": "x@example.com"}).content.decode()


def test_one_mailbox_cannot_be_flooded_from_many_addresses(alice, settings):
    settings.PASSWORD_RESET_RATE_LIMIT = "2/h"
    answers = [
        Client(REMOTE_ADDR=f"203.0.113.{i}").post(reverse("password_reset"), {"email": email}).status_code
        for i, email in enumerate(["alice@example.com", "ALICE@example.com ", "alice@example.com"])
    ]
    assert answers == [302, 302, 429]


def browser() -> Client:
    """A visitor behind the proxy who opened the reset page, as a browser does before posting it."""
    client = Client(REMOTE_ADDR="10.0.0.2")
    client.get(reverse("password_reset"))
    return client


def test_behind_a_proxy_hiding_addresses_resets_are_counted_per_visitor(alice, settings):
    settings.PASSWORD_RESET_RATE_LIMIT, settings.CLIENT_IP_KNOWN = "2/h", False
    eager = browser()
    tries = [eager.post(reverse("password_reset"), {"email": f"n{i}@example.com"}).status_code for i in range(3)]

    others = [browser().post(reverse("password_reset"), {"email": f"m{i}@example.com"}).status_code for i in range(3)]

    assert tries == [302, 302, 429]
    assert others == [302, 302, 302]
