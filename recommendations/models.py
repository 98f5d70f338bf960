"""Model versions: one row per training run, and the one that serves."""

from django.db import models
from django.db.models import Q


class ModelVersionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=ModelVersion.Status.ACTIVE)


class ModelVersion(models.Model):
    class Status(models.TextChoices):
        TRAINING = "training", "Training"
        READY = "ready", "Ready"
        ACTIVE = "active", "Active"
        FAILED = "failed", "Failed"
        RETIRED = "retired", "Retired"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Manual"
        BOOTSTRAP = "bootstrap", "First start"
        API = "api", "API"

    algorithm = models.CharField(max_length=40)
    config = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TRAINING, db_index=True)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    n_users = models.PositiveIntegerField(default=0)
    n_items = models.PositiveIntegerField(default=0)
    n_interactions = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True, help_text="Holdout metrics, e.g. ndcg@10.")
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds per stage.")
    artifact = models.FileField(upload_to="models/", blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    objects = ModelVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one version serves at any time.
            models.UniqueConstraint(fields=["status"], condition=Q(status="active"), name="modelversion_one_active"),
        ]

    def __str__(self) -> str:
        return f"v{self.pk} {self.algorithm} ({self.get_status_display()})"

    @property
    def ndcg(self) -> float | None:
        return self.metrics.get("ndcg@10")


class TrendingScore(models.Model):
    """Time-decayed popularity per item, recomputed periodically by a Celery task."""

    item = models.OneToOneField("catalog.Item", on_delete=models.CASCADE, related_name="trending")
    score = models.FloatField(db_index=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-score"]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.score:.3f}"
