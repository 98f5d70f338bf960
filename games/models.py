"""Games people play against the controllers, their results and ratings, and the learning controller's versions."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from games.engine.elo import INITIAL_RATING


class Game(models.Model):
    """A game the site serves; also a catalog item of kind `game`, so it can be rated and recommended."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    item = models.OneToOneField("catalog.Item", on_delete=models.SET_NULL, null=True, blank=True, related_name="game")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Match(models.Model):
    """A finished game of a signed-in player against a controller."""

    class Result(models.TextChoices):
        WIN = "win", "Player won"
        LOSS = "loss", "Controller won"
        DRAW = "draw", "Draw"

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="matches")
    player = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="game_matches")
    engine = models.CharField(max_length=20)
    level = models.PositiveSmallIntegerField()
    auto = models.BooleanField(default=False, help_text="Controller and level were picked to suit the player.")
    player_side = models.PositiveSmallIntegerField(help_text="1: the player moved first.")
    moves = models.JSONField(default=list, help_text="Columns played in order, 0-6, the first player first.")
    result = models.CharField(max_length=4, choices=Result.choices)
    rating_before = models.FloatField()
    rating_after = models.FloatField()
    version = models.CharField(max_length=40, blank=True, help_text="The learning controller's version, if it played.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-finished_at", "-id"]
        verbose_name_plural = "matches"

    def __str__(self) -> str:
        return f"{self.player} vs {self.engine} {self.level}: {self.get_result_display()}"


class PlayerSkill(models.Model):
    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="skills")
    player = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="game_skills")
    rating = models.FloatField(default=INITIAL_RATING)
    games_played = models.PositiveIntegerField(default=0)
    wins = models.PositiveIntegerField(default=0)
    draws = models.PositiveIntegerField(default=0)
    losses = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-rating"]
        constraints = [models.UniqueConstraint(fields=["game", "player"], name="playerskill_unique")]

    def __str__(self) -> str:
        return f"{self.player} {self.game}: {self.rating:.0f}"


class EngineRating(models.Model):
    """Each (controller, level)'s Elo, updated by the games people play against it; "auto" reads these."""

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="engine_ratings")
    engine = models.CharField(max_length=20)
    level = models.PositiveSmallIntegerField()
    rating = models.FloatField()
    games_played = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["engine", "level"]
        constraints = [models.UniqueConstraint(fields=["game", "engine", "level"], name="engine_rating_unique")]

    def __str__(self) -> str:
        return f"{self.engine} {self.level}: {self.rating:.0f}"


class GameModelVersionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=GameModelVersion.Status.ACTIVE)

    def training(self):
        return self.filter(status=GameModelVersion.Status.TRAINING)


class GameModelVersion(models.Model):
    """One training run of a game's learning controller, and the one that plays."""

    class Status(models.TextChoices):
        TRAINING = "training", "Training"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Manual"
        ADMIN = "admin", "Admin"

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="model_versions")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TRAINING, db_index=True)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    config = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(
        default=dict, blank=True, help_text="Training data counts, tournament results and the learning curve."
    )
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds per stage.")
    artifact = models.FileField(upload_to="games/", blank=True)
    artifact_sha256 = models.CharField("artifact SHA-256", max_length=64, blank=True)
    artifact_size = models.BigIntegerField("artifact size (bytes)", null=True, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    objects = GameModelVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One version plays per game, and one run trains per game at a time, whoever asks.
            models.UniqueConstraint(fields=["game"], condition=Q(status="active"), name="gamemodel_one_active"),
            models.UniqueConstraint(fields=["game"], condition=Q(status="training"), name="gamemodel_one_training"),
        ]

    def __str__(self) -> str:
        return f"{self.game} learning v{self.pk} ({self.get_status_display()})"

    @property
    def label(self) -> str:
        return f"v{self.pk}"
