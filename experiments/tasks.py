"""Periodic work of online evaluation: credit new actions to lists, and roll old impressions up."""

import logging

from celery import shared_task

from experiments.attribution import attribute_pending
from experiments.rollup import impressions_roll_up

log = logging.getLogger(__name__)


@shared_task(name="experiments.attribute")
def attribute() -> int:
    """Credit the actions since the last pass to the lists that showed their items."""
    return attribute_pending()


@shared_task(name="experiments.roll_up")
def roll_up() -> int:
    """Sum the days of impressions past their retention into daily stats and delete them."""
    return impressions_roll_up()
