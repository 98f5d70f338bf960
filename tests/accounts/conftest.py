import pytest

from config.celery import app as celery_app


@pytest.fixture
def mail_tasks_run():
    """Account mails are sent by Celery tasks; here they run in the test process, eagerly."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
