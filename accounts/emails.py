"""Queue account mails after the transaction commits; a broker that is down loses the mail, not the page.

Both the known and the unknown address take the same path here (one message
queued), so neither the answer nor its timing says whether an account exists.
"""

import logging

from django.db import transaction

from accounts import tasks
from config.celery import QueueUnavailable, publish

log = logging.getLogger(__name__)


def _publish(task, kwargs: dict) -> None:
    try:
        publish(task, kwargs=kwargs)
    except QueueUnavailable:
        # The page answers as usual: the member can ask again, and nothing tells the address apart.
        log.exception("could not queue %s", task.name)


def _site(request) -> dict:
    return {"domain": request.get_host(), "use_https": request.is_secure()}


def signup_mail_enqueue(*, request, user, email: str) -> None:
    kwargs = {"user_id": user.pk, "email": email, **_site(request)}
    transaction.on_commit(lambda: _publish(tasks.send_signup_mail, kwargs))


def password_reset_mail_enqueue(*, request, email: str) -> None:
    kwargs = {"email": email, **_site(request)}
    transaction.on_commit(lambda: _publish(tasks.send_password_reset, kwargs))
