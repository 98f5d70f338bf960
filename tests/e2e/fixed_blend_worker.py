"""A Celery app for tests whose hybrid always blends item-kNN in, so sharding is always exercised.

Run as `celery -A tests.e2e.fixed_blend_worker worker`; a test calls `use_fixed_blend()` in its own
process too, so inline runs make the same choice.
"""

from celery.signals import worker_process_init

from config.celery import app  # noqa: F401 - the app this module stands for

BLEND = {"weights": {"ease": 1.0, "itemknn": 0.5, "userknn": 0.3, "popularity": 0.1}}


def use_fixed_blend(patch=setattr) -> None:
    """Replace the hybrid's tuning by BLEND wherever it is called (`patch`: monkeypatch.setattr in tests)."""
    from recommendations.engine import hybrid
    from recommendations.training import pipeline

    for module in (hybrid, pipeline):
        patch(module, "tune", lambda X, item_texts, params: dict(BLEND))


@worker_process_init.connect
def _fixed_blend(**kwargs):
    use_fixed_blend()
