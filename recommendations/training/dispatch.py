"""Which workspaces to train now: the scheduled dispatcher's choice, made in one query however many there are.

A workspace is trained when its data changed since its last run read it
(`Workspace.data_changed_at`, set by every write path) and its last run started at
least its retraining period ago (`Workspace.retrain_every_minutes`); or when it has
ratings or events but no version serving (its first model, or all its versions
broken), again at most once a period. A workspace already training waits for that run.
"""

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from catalog.models import Interaction, Rating
from core.models import Workspace
from recommendations.models import ModelVersion


def workspaces_due_for_training(*, now=None) -> list[tuple[int, int]]:
    """(workspace id, its retraining period in minutes) of each workspace to train now (see the module's
    docstring), in id order."""
    now = now or timezone.now()
    versions = ModelVersion.objects.filter(workspace=OuterRef("pk"))
    has_data = Exists(Rating.objects.filter(item__workspace=OuterRef("pk"))) | Exists(
        Interaction.objects.filter(item__workspace=OuterRef("pk"))
    )
    candidates = (
        Workspace.objects.annotate(
            last_started=Subquery(versions.order_by("-created_at", "-pk").values("created_at")[:1]),
            serving=Exists(versions.active()),
            training=Exists(versions.training()),
        )
        .filter(training=False)
        .filter(Q(data_changed_at__isnull=False) | (Q(serving=False) & has_data))
        .order_by("pk")
        .values_list("pk", "retrain_minutes", "last_started")
    )
    due = []
    for pk, minutes, last_started in candidates:
        period = minutes or settings.ENCORE_RETRAIN_MINUTES
        if last_started is None or now - last_started >= timezone.timedelta(minutes=period):
            due.append((pk, period))
    return due


def workspace_training_wanted(workspace_id: int) -> bool:
    """Whether a scheduled run of the workspace still has work when a worker takes it up: its data changed
    since the last run read it, or nothing serves it. A second message for the same change finds neither."""
    changed = Workspace.objects.filter(pk=workspace_id, data_changed_at__isnull=False).exists()
    return changed or not ModelVersion.objects.active().filter(workspace_id=workspace_id).exists()
