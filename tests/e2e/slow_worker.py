"""A Celery app for tests whose model fit takes long, so a test can kill a worker mid-run.

Run as `celery -A tests.e2e.slow_worker worker`; SLOW_FIT_SECONDS sets the delay.
"""

import os
import time

from celery.signals import worker_process_init

from config.celery import app  # noqa: F401 - the app this module stands for

DELAY = float(os.environ.get("SLOW_FIT_SECONDS", "60"))


@worker_process_init.connect
def _slow_down_fitting(**kwargs):
    from recommendations.training import pipeline

    fit_here = pipeline.fit_here

    def slow_fit_here(*args, **kw):
        time.sleep(DELAY)
        return fit_here(*args, **kw)

    pipeline.fit_here = slow_fit_here
