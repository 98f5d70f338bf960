"""Workspaces: the tenants. Each owns its catalog, people, events, models and API clients.

The public website is the workspace `default` (made by the first migration).
Settings left empty on a workspace take the platform's defaults (ENCORE_* settings),
so changing a default reaches every workspace that did not choose its own.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

DEFAULT_SLUG = "default"
DEFAULT_NAME = "Encore (the public website)"


class Workspace(models.Model):
    slug = models.SlugField(max_length=50, unique=True, help_text="Its name in commands and URLs; never changes.")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    # Training: empty fields use the platform's settings.
    algorithm = models.CharField(
        max_length=40, blank=True, help_text="Model trained for this workspace; empty uses ENCORE_MODEL_ALGORITHM."
    )
    retrain_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Least time between two scheduled trainings; empty uses ENCORE_RETRAIN_MINUTES.",
    )  # fmt: skip
    quality_tolerance = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="How much worse (nDCG@10, relative) a new version may be and still activate; "
        "empty uses ENCORE_QUALITY_TOLERANCE.",
    )  # fmt: skip

    # Quotas: empty uses the platform's default (WORKSPACE_MAX_* settings).
    max_items = models.PositiveIntegerField(null=True, blank=True, help_text="Empty uses WORKSPACE_MAX_ITEMS.")
    max_people = models.PositiveIntegerField(null=True, blank=True, help_text="Empty uses WORKSPACE_MAX_PEOPLE.")
    max_genres = models.PositiveIntegerField(null=True, blank=True, help_text="Empty uses WORKSPACE_MAX_GENRES.")
    max_events_per_day = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="Ratings and events accepted per UTC day; empty uses WORKSPACE_MAX_EVENTS_PER_DAY.",
    )  # fmt: skip

    # Set by the first write after a training run read the data, cleared when the next run starts:
    # the dispatcher trains exactly the workspaces where it is set.
    data_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Staff who may see and change this workspace in the admin (superusers see every workspace).
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="staff_workspaces",
        help_text="Staff limited to the workspaces they are listed on; superusers see all.",
    )  # fmt: skip

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    @property
    def is_default(self) -> bool:
        return self.slug == DEFAULT_SLUG

    # The effective settings: the workspace's own, else the platform's.
    @property
    def model_algorithm(self) -> str:
        return self.algorithm or settings.ENCORE_MODEL_ALGORITHM

    @property
    def retrain_every_minutes(self) -> int:
        return self.retrain_minutes or settings.ENCORE_RETRAIN_MINUTES

    @property
    def tolerance(self) -> float:
        return settings.ENCORE_QUALITY_TOLERANCE if self.quality_tolerance is None else self.quality_tolerance

    def quota(self, name: str) -> int:
        """The limit `name` (items, people, genres, events_per_day) in force for this workspace."""
        own = getattr(self, f"max_{name}")
        return own if own is not None else getattr(settings, f"WORKSPACE_MAX_{name.upper()}")


class WorkspaceDailyUsage(models.Model):
    """Ratings and events a workspace's API clients sent on one UTC day: the events-per-day quota."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="daily_usage")
    day = models.DateField()
    events = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["workspace", "day"], name="usage_one_row_per_workspace_day")]

    def __str__(self) -> str:
        return f"{self.workspace_id} {self.day}: {self.events}"
