"""Model versions: one row per training run, and the one that serves."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from catalog.models import Item


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
        # A candidate of an experiment: trained to be served to a share of the people, never activated by training.
        EXPERIMENT = "experiment", "Experiment candidate"

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


class RuleQuerySet(models.QuerySet):
    def of(self, workspace):
        return self.filter(workspace=workspace)


class Rule(models.Model):
    """A merchandising rule: staff or a partner shape a workspace's lists after the model scored them.

    See recommendations.rules for how rules apply: block beats pin beats boost/bury, and no rule
    ever brings back an item the person disliked, hid or already consumed.
    """

    class Action(models.TextChoices):
        BOOST = "boost", "Boost (multiply the score by weight)"
        BURY = "bury", "Bury (divide the score by weight)"
        PIN = "pin", "Pin (put the item at a position)"
        BLOCK = "block", "Block (never shown)"

    class Target(models.TextChoices):
        ITEM = "item", "An item"
        GENRE = "genre", "A genre"
        TAG = "tag", "A tag"
        KIND = "kind", "A kind"
        CREATOR = "creator", "A creator"
        YEAR_RANGE = "year_range", "A year range"
        NEW = "new", "Added in the last N days"

    class Placement(models.TextChoices):
        ALL = "", "Every list"
        HOME = "home", "Home: popular (new visitors)"
        TOP_PICKS = "top_picks", "Home: top picks"
        BECAUSE_YOU_LIKED = "because_you_liked", "Home: because you liked"
        TRENDING = "trending", "Home: trending"
        NEW = "new", "Home: new arrivals"
        SIMILAR = "similar", "Item page: similar items"
        API_RECOMMENDATIONS = "api_recommendations", "API: recommendations"
        API_SIMILAR = "api_similar", "API: similar items"
        API_TRENDING = "api_trending", "API: trending"
        ME_FEED = "me_feed", "API: the website user's feed"

    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(max_length=100)
    action = models.CharField(max_length=5, choices=Action.choices)
    weight = models.FloatField(
        default=2.0, help_text="Boost and bury: a factor above 1 (2 doubles the score, or halves it for bury)."
    )
    position = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Pin: 1 is the top of the list.")
    target = models.CharField(max_length=10, choices=Target.choices)
    item = models.ForeignKey("catalog.Item", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    genre = models.ForeignKey("catalog.Genre", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    tag = models.ForeignKey("catalog.Tag", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=10, blank=True)
    creator = models.CharField(max_length=200, blank=True, help_text="A name as listed in the items' creators.")
    year_min = models.PositiveSmallIntegerField(null=True, blank=True)
    year_max = models.PositiveSmallIntegerField(null=True, blank=True)
    new_days = models.PositiveSmallIntegerField(null=True, blank=True, help_text="New: items added in these days.")
    placement = models.CharField(max_length=20, choices=Placement.choices, blank=True, default="")
    max_interactions = models.PositiveIntegerField(
        null=True, blank=True, help_text="Segment: only people with fewer ratings and events than this."
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = RuleQuerySet.as_manager()

    class Meta:
        ordering = ["workspace", "pk"]
        indexes = [models.Index(fields=["workspace", "is_active"], name="rule_workspace_active")]

    def __str__(self) -> str:
        return self.name

    @property
    def target_description(self) -> str:
        """What the rule targets, in words (the admin's list)."""
        match self.target:
            case self.Target.ITEM:
                return f"item {self.item}" if self.item_id else "item ?"
            case self.Target.GENRE:
                return f"genre {self.genre}" if self.genre_id else "genre ?"
            case self.Target.TAG:
                return f"tag {self.tag}" if self.tag_id else "tag ?"
            case self.Target.KIND:
                return f"kind {self.kind}"
            case self.Target.CREATOR:
                return f"creator {self.creator}"
            case self.Target.YEAR_RANGE:
                return f"years {self.year_min or '…'}–{self.year_max or '…'}"
            case _:
                return f"added in the last {self.new_days} days"

    def clean(self):
        """Per-field errors for a rule that could not apply as written (the admin and the API share them)."""
        errors: dict[str, str] = {}
        if self.action in (self.Action.BOOST, self.Action.BURY) and not (self.weight is not None and self.weight > 1):
            errors["weight"] = "Boost and bury need a weight above 1."
        if self.action == self.Action.PIN:
            if not self.position:
                errors["position"] = "A pin needs a position (1 is the top)."
            if self.target != self.Target.ITEM:
                errors["target"] = "A pin places one item: its target must be an item."
        needed = {
            self.Target.ITEM: ("item", self.item_id), self.Target.GENRE: ("genre", self.genre_id),
            self.Target.TAG: ("tag", self.tag_id), self.Target.KIND: ("kind", self.kind),
            self.Target.CREATOR: ("creator", self.creator), self.Target.NEW: ("new_days", self.new_days),
        }  # fmt: skip
        if self.target in needed and not needed[self.target][1]:
            errors[needed[self.target][0]] = f"Required when the target is {self.target}."
        if self.target == self.Target.KIND and self.kind and self.kind not in Item.Kind.values:
            errors["kind"] = f"One of {', '.join(Item.Kind.values)}."
        if self.target == self.Target.YEAR_RANGE:
            if self.year_min is None and self.year_max is None:
                errors["year_min"] = "Give year_min, year_max or both."
            elif self.year_min is not None and self.year_max is not None and self.year_min > self.year_max:
                errors["year_max"] = "Must not be before year_min."
        for name in ("item", "genre", "tag"):
            related = getattr(self, name) if getattr(self, f"{name}_id") else None
            if related is not None and self.workspace_id and related.workspace_id != self.workspace_id:
                errors[name] = f"No such {name} in this workspace."
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "Must be after starts_at."
        if errors:
            raise ValidationError(errors)


class DiversitySetting(models.Model):
    """How spread a workspace's lists of one placement are (see recommendations.diversity).

    The setting of a placement wins over the workspace's setting for every list (placement empty);
    without either, lists keep the model's ranking. An API request's `diversity` parameter replaces
    the weight for that request; the caps always hold.
    """

    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="diversity_settings")
    placement = models.CharField(max_length=20, choices=Rule.Placement.choices, blank=True)
    diversity = models.FloatField(
        default=0.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="0 keeps the model's ranking; towards 1 the list spreads over more genres, tags and creators.",
    )
    cap_per_genre = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="At most this many items of one genre in a list (empty: no cap). A list may end shorter.",
    )  # fmt: skip
    cap_per_creator = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="At most this many items of one creator (director, artist, studio) in a list (empty: no cap).",
    )  # fmt: skip
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["workspace", "placement"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "placement"],
                name="diversity_one_per_placement",
                violation_error_message="This workspace already has a diversity setting for this placement.",
            ),
            models.CheckConstraint(
                condition=Q(diversity__gte=0.0) & Q(diversity__lte=1.0), name="diversity_between_0_and_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_placement_display()}: diversity {self.diversity:g}"

    @property
    def shapes_lists(self) -> bool:
        return self.diversity > 0 or self.cap_per_genre is not None or self.cap_per_creator is not None
