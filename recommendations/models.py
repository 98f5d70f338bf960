"""Model versions: one row per training run, and the one that serves."""

from django.db import models
from django.db.models import Q


class ModelVersionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=ModelVersion.Status.ACTIVE)

    def training(self):
        return self.filter(status=ModelVersion.Status.TRAINING)

    def servable(self):
        """Finished versions whose artifact is still stored and not known to be broken: candidates to serve."""
        return self.filter(status__in=[ModelVersion.Status.ACTIVE, ModelVersion.Status.READY]).exclude(artifact="")


class ModelVersion(models.Model):
    class Status(models.TextChoices):
        TRAINING = "training", "Training"
        READY = "ready", "Ready"
        ACTIVE = "active", "Active"
        FAILED = "failed", "Failed"
        RETIRED = "retired", "Retired"
        # Its artifact could not be read back (missing, truncated, checksum mismatch); `error` says why.
        BROKEN = "broken", "Broken"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Manual"
        BOOTSTRAP = "bootstrap", "First start"
        API = "api", "API"
        ADMIN = "admin", "Admin"

    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="model_versions")
    algorithm = models.CharField(max_length=40)
    config = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TRAINING, db_index=True)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    forced = models.BooleanField(default=False, help_text="Activated even if worse than the serving version.")
    n_users = models.PositiveIntegerField(default=0)
    n_items = models.PositiveIntegerField(default=0)
    n_interactions = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True, help_text="Holdout metrics, e.g. ndcg@10.")
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds per stage.")
    artifact = models.FileField(upload_to="models/", blank=True)
    # What was written, so a load can tell a damaged or replaced file from the real one.
    artifact_sha256 = models.CharField("artifact SHA-256", max_length=64, blank=True)
    artifact_size = models.BigIntegerField("artifact size (bytes)", null=True, blank=True)
    error = models.TextField(blank=True)
    note = models.TextField(blank=True, help_text="Why a finished version was not activated, and other remarks.")
    # Which Celery task runs it, so a redelivered message finds its run instead of starting another.
    task_id = models.CharField(max_length=64, blank=True, db_index=True)
    worker = models.CharField(max_length=200, blank=True, help_text="Host and process that ran it.")
    created_at = models.DateTimeField(auto_now_add=True)
    # Refreshed while a run is alive; a run whose heartbeat stops (a killed worker) is marked failed.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    objects = ModelVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one version serves a workspace at any time.
            models.UniqueConstraint(
                fields=["workspace", "status"],
                condition=Q(status="active"),
                name="modelversion_one_active_per_workspace",
            ),
            # Single flight: the database refuses a second run of a workspace while one is training,
            # whichever process or machine asks.
            models.UniqueConstraint(
                fields=["workspace", "status"],
                condition=Q(status="training"),
                name="modelversion_one_training_per_workspace",
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"v{self.pk} {self.algorithm} ({self.get_status_display()})"

    @property
    def ndcg(self) -> float | None:
        return self.metrics.get("ndcg@10")

    @property
    def total_seconds(self) -> float:
        return round(sum(v for v in self.timings.values() if isinstance(v, int | float)), 3)


class TrendingScore(models.Model):
    """Time-decayed popularity per item, recomputed periodically by a Celery task."""

    item = models.OneToOneField("catalog.Item", on_delete=models.CASCADE, related_name="trending")
    score = models.FloatField(db_index=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-score"]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.score:.3f}"
