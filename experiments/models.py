"""Online evaluation: what each list showed (impressions), what people then did with it (engagements),
and experiments that serve candidate models to a share of a workspace's people.

See experiments.recording (impressions are written in batches), experiments.attribution
(an action on a listed item within the window is credited to the list) and
experiments.assignment (who sees which variant).
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

CONTROL = "control"


class Experiment(models.Model):
    """Candidate models served to a share of a workspace's people, measured against the serving model.

    People in the share (a hash of the experiment and the person: sticky, independent between
    experiments) are spread evenly over the candidate variants; everyone else gets `control`.
    A workspace runs one experiment at a time.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        RUNNING = "running", "Running"
        STOPPED = "stopped", "Stopped"

    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="experiments")
    name = models.CharField(
        max_length=60,
        validators=[RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", "Letters, digits, '-', '_' and '.' only.")],
    )
    traffic = models.PositiveSmallIntegerField(
        default=50, validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Percent of the workspace's people who get a candidate; everyone else gets control.",
    )  # fmt: skip
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True, help_text="What happened: the candidate trained, promoted, …")

    class Meta:
        ordering = ["workspace", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "name"],
                name="experiment_unique_name",
                violation_error_message="This workspace already has an experiment of that name.",
            ),  # fmt: skip
            models.UniqueConstraint(
                fields=["workspace"],
                condition=Q(status="running"),
                name="experiment_one_running",
                violation_error_message="This workspace already runs an experiment: stop it first.",
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_running(self) -> bool:
        return self.status == self.Status.RUNNING


class Variant(models.Model):
    """One arm of an experiment: `control` (whatever version serves the workspace) or a candidate version."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(max_length=40)
    model_version = models.ForeignKey(
        "recommendations.ModelVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The candidate's model; empty for control, which follows the workspace's active version.",
    )  # fmt: skip
    algorithm = models.CharField(max_length=40, blank=True, help_text="The candidate's algorithm, when trained for it.")

    class Meta:
        ordering = ["experiment", "pk"]
        constraints = [models.UniqueConstraint(fields=["experiment", "name"], name="variant_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_control(self) -> bool:
        return self.name == CONTROL


class Assignment(models.Model):
    """The variant a person was served in an experiment, stored on first sight (the hash decides it;
    this row makes the report's people exact and shows that it held)."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    variant = models.CharField(max_length=40)
    first_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["experiment", "user"], name="assignment_one_per_person")]
        indexes = [models.Index(fields=["experiment", "variant"], name="assignment_variant")]

    def __str__(self) -> str:
        return f"{self.user_id} -> {self.variant}"


class Impression(models.Model):
    """One list served: to whom, which items in which order, from which model and variant, where, when.

    Its id is the list's `recommendation_id`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+")
    placement = models.CharField(max_length=20)
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, null=True, related_name="impressions")
    variant = models.CharField(max_length=40, default=CONTROL)
    model_version = models.ForeignKey(
        "recommendations.ModelVersion", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    items = models.JSONField(default=list, help_text="Item ids, first shown first.")
    shown_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "shown_at"], name="impression_workspace_time"),
            models.Index(fields=["user", "shown_at"], name="impression_user_time"),
            models.Index(fields=["experiment", "variant"], name="impression_variant"),
        ]

    def __str__(self) -> str:
        return str(self.id)


class Engagement(models.Model):
    """A person's action on an item credited to the list that showed it (see experiments.attribution).

    A click is any action on a listed item; a conversion is a play, a like, a favourite, a purchase or
    a rating of 4 or more.
    """

    class Kind(models.TextChoices):
        CLICK = "click", "Click"
        VIEW = "view", "View"
        PLAY = "play", "Play"
        LIKE = "like", "Like"
        FAVORITE = "favorite", "Favourite"
        PURCHASE = "purchase", "Purchase"
        SHARE = "share", "Share"
        RATING = "rating", "Rating of 4 or more"

    CONVERSIONS = frozenset({Kind.PLAY, Kind.LIKE, Kind.FAVORITE, Kind.PURCHASE, Kind.RATING})

    impression = models.ForeignKey(Impression, on_delete=models.CASCADE, related_name="engagements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("catalog.Item", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(help_text="1 is the top of the list.")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["impression", "item", "kind"], name="engagement_once_per_kind"),
        ]
        indexes = [models.Index(fields=["at"], name="engagement_time")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.item_id} at {self.position}"

    @property
    def is_conversion(self) -> bool:
        return self.kind in self.CONVERSIONS


class PendingEngagement(models.Model):
    """An action not credited yet: its list may still be in a process's write buffer. The attribution
    task retries it until the window has passed, then drops it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("catalog.Item", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Engagement.Kind.choices)
    recommendation_id = models.UUIDField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.kind} on {self.item_id} (pending)"


class AttributionCursor(models.Model):
    """How far attribution's window pass has read: the last event id and the last rating change it saw."""

    name = models.CharField(max_length=20, unique=True)
    position = models.BigIntegerField(default=0)
    at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return self.name


class DailyStats(models.Model):
    """Impressions of one day rolled up per workspace, experiment, variant and placement; the raw rows of
    days past ENCORE_IMPRESSION_RETENTION_DAYS are then deleted."""

    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, null=True, related_name="+")
    variant = models.CharField(max_length=40, default=CONTROL)
    placement = models.CharField(max_length=20)
    lists = models.PositiveIntegerField(default=0)
    impressions = models.PositiveIntegerField(default=0, help_text="Items shown, over every list.")
    people = models.PositiveIntegerField(default=0)
    clicked_lists = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    conversions = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "daily stats"
        indexes = [models.Index(fields=["workspace", "day"], name="dailystats_workspace_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.variant} {self.placement}"
