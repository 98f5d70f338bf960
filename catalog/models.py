"""The catalog: items and what people said about them.

Ratings are explicit (one per user and item, updated in place); interactions
are implicit events, append-only. Both feed training and serving.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

RATING_VALUES = [x / 2 for x in range(1, 11)]  # 0.5, 1.0, ..., 5.0
# The source of the items API clients send: their external id is the item's source_id, unique in its workspace.
API_ITEM_SOURCE = "api"


def workspace_field(related_name: str):
    """The owning workspace: required, so nothing a tenant owns can be without one."""
    return models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name=related_name)


class Genre(models.Model):
    workspace = workspace_field("genres")
    name = models.CharField(max_length=64)
    slug = models.SlugField(max_length=64)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="genre_unique_name_per_workspace"),
            models.UniqueConstraint(fields=["workspace", "slug"], name="genre_unique_slug_per_workspace"),
        ]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    workspace = workspace_field("tags")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="tag_unique_name_per_workspace"),
        ]

    def __str__(self) -> str:
        return self.name


class ItemQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def of(self, workspace):
        """The items of one workspace (a Workspace or its pk)."""
        return self.filter(workspace=workspace)

    def website(self):
        """What the website may show: the items of the `default` workspace."""
        from core.workspaces import default_workspace_id

        return self.filter(workspace_id=default_workspace_id())


class Item(models.Model):
    class Kind(models.TextChoices):
        MOVIE = "movie", "Film"
        SERIES = "series", "Series"
        MUSIC = "music", "Music"
        GAME = "game", "Game"
        VIDEO = "video", "Video"
        BOOK = "book", "Book"

    workspace = workspace_field("items")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MOVIE)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    genres = models.ManyToManyField(Genre, related_name="items", blank=True)
    tags = models.ManyToManyField(Tag, through="ItemTag", related_name="items", blank=True)
    creators = models.JSONField(default=list, blank=True, help_text="Directors, artists, studios…")
    image_url = models.URLField(blank=True)
    # Where the item came from and its id there ("movielens" / "1", or "api" and the partner's
    # own id): the key, unique in the workspace, for idempotent imports.
    source = models.CharField(max_length=40, blank=True, default="")
    source_id = models.CharField(max_length=100, blank=True, default="")
    external_ids = models.JSONField(default=dict, blank=True, help_text="Ids in other databases (imdb, tmdb…)")
    is_active = models.BooleanField(default=True, help_text="Hidden items disappear from every list at once.")
    # Denormalised counters for browse sorting; every write through catalog.services keeps them true.
    rating_count = models.PositiveIntegerField(default=0)
    rating_avg = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "source", "source_id"],
                condition=~Q(source=""),
                name="item_unique_source_id_per_workspace",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "is_active", "kind"], name="item_workspace_active_kind"),
            models.Index(fields=["year"], name="item_year"),
            models.Index(fields=["-rating_count"], name="item_popularity"),
            models.Index(fields=["title"], name="item_title"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title


class ItemTag(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)
    count = models.PositiveIntegerField(default=1, help_text="How many people applied this tag.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "tag"], name="itemtag_unique")]

    def __str__(self) -> str:
        return f"{self.item_id}:{self.tag_id}"


class Rating(models.Model):
    # No single-column indexes on the keys: (user, item) and (item, value) below lead with them,
    # and every index slows the bulk writes of imports and ingestion.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings", db_index=False)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="ratings", db_index=False)
    value = models.FloatField(help_text="0.5 to 5.0 stars in half steps.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "item"], name="rating_one_per_user_item"),
            models.CheckConstraint(condition=Q(value__in=RATING_VALUES), name="rating_half_steps_0_5_to_5"),
        ]
        indexes = [models.Index(fields=["item", "value"], name="rating_item_value")]

    def __str__(self) -> str:
        return f"{self.user_id} rated {self.item_id}: {self.value}"


class Interaction(models.Model):
    class Kind(models.TextChoices):
        VIEW = "view", "View"
        PLAY = "play", "Play"
        LIKE = "like", "Like"
        FAVORITE = "favorite", "Favourite"
        PURCHASE = "purchase", "Purchase"
        SHARE = "share", "Share"
        SKIP = "skip", "Skip"
        DISLIKE = "dislike", "Dislike"
        NOT_INTERESTED = "not_interested", "Not interested"

    NEGATIVE_KINDS = frozenset({Kind.SKIP, Kind.DISLIKE, Kind.NOT_INTERESTED})

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interactions")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.FloatField(null=True, blank=True, help_text="Optional strength, e.g. the fraction watched.")
    created_at = models.DateTimeField(default=timezone.now)
    # A retried request carrying the same key is stored once.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="interaction_unique_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "created_at"], name="interaction_user_time"),
            models.Index(fields=["item", "kind"], name="interaction_item_kind"),
            models.Index(fields=["created_at"], name="interaction_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.item_id}"
