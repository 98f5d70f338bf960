from django.contrib import admin, messages

from config.celery import QueueUnavailable
from games.engine.learning import InvalidArtifact
from games.models import EngineRating, Game, GameModelVersion, Match, PlayerSkill
from games.tasks import train_learning_enqueue
from games.training import model_version_activate


@admin.register(Game)
class GameAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "item", "created_at"]
    readonly_fields = ["item", "created_at"]
    actions = ["train"]

    @admin.action(description="Train a new learning version now")
    def train(self, request, queryset):
        for game in queryset:
            try:
                task_id = train_learning_enqueue(slug=game.slug, trigger=GameModelVersion.Trigger.ADMIN)
            except QueueUnavailable as exc:
                self.message_user(request, f"{game}: training not started, {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{game}: training queued (task {task_id}).", messages.SUCCESS)


@admin.register(GameModelVersion)
class GameModelVersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "trigger", "vs_random", "vs_rules", "vs_strategy", "training_games",
                    "seconds", "created_at", "activated_at"]  # fmt: skip
    list_filter = ["game", "status", "trigger"]
    readonly_fields = [f.name for f in GameModelVersion._meta.fields]
    actions = ["activate"]

    def has_add_permission(self, request):
        return False  # versions come from training runs

    @admin.display(description="vs random")
    def vs_random(self, obj):
        return _rate(obj.metrics.get("learning_vs_random"))

    @admin.display(description="vs rules")
    def vs_rules(self, obj):
        return _rate(obj.metrics.get("learning_vs_rules"))

    @admin.display(description="vs strategy")
    def vs_strategy(self, obj):
        return _rate(obj.metrics.get("learning_vs_strategy"))

    @admin.display(description="training games")
    def training_games(self, obj):
        return obj.metrics.get("training_games_total", "")

    @admin.display(description="seconds")
    def seconds(self, obj):
        return round(sum(v for v in obj.timings.values() if isinstance(v, int | float)), 1) or ""

    @admin.action(description="Put the selected version in play")
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", messages.ERROR)
            return
        version = queryset.get()
        if version.status not in (GameModelVersion.Status.ACTIVE, GameModelVersion.Status.RETIRED):
            self.message_user(request, f"{version} did not finish training.", messages.ERROR)
            return
        try:
            model_version_activate(version=version)
        except InvalidArtifact as exc:
            self.message_user(request, f"{version} cannot be read back: {exc}", messages.ERROR)
            return
        self.message_user(request, f"{version} now plays.", messages.SUCCESS)


def _rate(value) -> str:
    return f"{value:.0%}" if isinstance(value, int | float) else ""


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = ["player", "game", "engine", "level", "auto", "result", "rating_before", "rating_after",
                    "finished_at"]  # fmt: skip
    list_filter = ["game", "engine", "result", "auto"]
    search_fields = ["player__username"]
    readonly_fields = [f.name for f in Match._meta.fields]
    list_select_related = ["player", "game"]

    def has_add_permission(self, request):
        return False


@admin.register(PlayerSkill)
class PlayerSkillAdmin(admin.ModelAdmin):
    list_display = ["player", "game", "rating", "games_played", "wins", "draws", "losses", "updated_at"]
    list_filter = ["game"]
    search_fields = ["player__username"]
    list_select_related = ["player", "game"]


@admin.register(EngineRating)
class EngineRatingAdmin(admin.ModelAdmin):
    list_display = ["game", "engine", "level", "rating", "games_played"]
    list_filter = ["game", "engine"]
