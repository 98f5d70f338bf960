"""Model versions in the admin: metrics and timings at a glance, activate, roll back, retrain."""

from django.contrib import admin, messages

from core.admin import WorkspaceScopedAdmin
from core.admin.workspaces import trainings_queue
from core.models import Workspace
from recommendations.models import DiversitySetting, ModelVersion, Rule, TrendingScore
from recommendations.rules import diversity_setting_delete, diversity_setting_save, rule_delete, rule_save
from recommendations.training import model_version_activate, model_version_rollback, model_versions_retire


@admin.register(ModelVersion)
class ModelVersionAdmin(WorkspaceScopedAdmin):
    """Each workspace's versions. Actions act within the workspaces of the selected versions (with
    none selected: the workspace the list is filtered by, else the staff member's own one)."""

    list_display = [
        "__str__", "status", "trigger", "ndcg", "precision", "recall", "n_users", "n_items", "n_interactions",
        "timings_summary", "problem", "created_at", "activated_at",
    ]  # fmt: skip
    list_filter = ["status", "trigger", "algorithm"]
    actions = ["activate", "roll_back", "retrain", "apply_retention"]
    readonly_fields = [f.name for f in ModelVersion._meta.fields]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False  # versions come from training runs only

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="nDCG@10")
    def ndcg(self, obj):
        return _metric(obj, "ndcg@10")

    @admin.display(description="P@10")
    def precision(self, obj):
        return _metric(obj, "precision@10")

    @admin.display(description="R@10")
    def recall(self, obj):
        return _metric(obj, "recall@10")

    @admin.display(description="Problem")
    def problem(self, obj):
        # Why it does not serve: a broken artifact, a failed run, or a refusal by the quality guard.
        return obj.error or obj.note or ""

    @admin.display(description="Timings (s)")
    def timings_summary(self, obj):
        parts = [f"{k} {v:.1f}" for k, v in obj.timings.items() if isinstance(v, int | float)]
        return ", ".join(parts) + (f" = {obj.total_seconds:.1f}" if parts else "")

    @admin.action(description="Activate the selected version (it serves its workspace within seconds)")
    def activate(self, request, queryset):
        if queryset.count() != 1:
            return self.message_user(request, "Select exactly one version to activate.", messages.ERROR)
        try:
            version = model_version_activate(version=queryset.get())
        except ValueError as exc:
            return self.message_user(request, str(exc), messages.ERROR)
        self.message_user(request, f"{version} is now serving {version.workspace}.", messages.SUCCESS)

    @admin.action(description="Roll back to the previously active version of their workspace")
    def roll_back(self, request, queryset):
        for workspace in self._workspaces(request, queryset):
            version = model_version_rollback(workspace_id=workspace.pk)
            if version is None:
                self.message_user(
                    request,
                    f"{workspace}: no earlier version with a readable artifact to roll back to.",
                    messages.ERROR,
                )
            else:
                self.message_user(request, f"{workspace}: rolled back, {version} is serving.", messages.SUCCESS)

    @admin.action(description="Train a new version of their workspace now (on the workers)")
    def retrain(self, request, queryset):
        trainings_queue(self, request, self._workspaces(request, queryset), follow="refresh this page to follow it")

    @admin.action(description="Delete artifacts of their workspace beyond the retention limit (rows are kept)")
    def apply_retention(self, request, queryset):
        for workspace in self._workspaces(request, queryset):
            retired = model_versions_retire(workspace_id=workspace.pk)
            self.message_user(request, f"{workspace}: retired {len(retired)} version(s).", messages.SUCCESS)

    def _workspaces(self, request, queryset) -> list[Workspace]:
        workspaces = list(Workspace.objects.filter(pk__in=self.workspace_ids_of_action(request, queryset)))
        if not workspaces:
            self.message_user(request, "Select a version of the workspace to act on.", messages.ERROR)
        return workspaces


def _metric(obj, key):
    value = obj.metrics.get(key)
    return "—" if value is None else f"{value:.4f}"


@admin.register(TrendingScore)
class TrendingScoreAdmin(WorkspaceScopedAdmin):
    workspace_path = "item__workspace"
    list_display = ["item", "score", "computed_at"]
    list_select_related = ["item"]
    search_fields = ["item__title"]
    readonly_fields = ["item", "score", "computed_at"]

    def has_add_permission(self, request):
        return False  # scores come from the trending refresh


@admin.register(Rule)
class RuleAdmin(WorkspaceScopedAdmin):
    """Merchandising rules: what each one does, to what, where and when (see recommendations.rules)."""

    list_display = ["id", "name", "action", "weight", "position", "targets", "placement", "max_interactions",
                    "starts_at", "ends_at", "is_active", "updated_at"]  # fmt: skip
    list_filter = ["action", "target", "placement", "is_active"]
    search_fields = ["name"]
    raw_id_fields = ["item"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description="Targets")
    def targets(self, obj):
        return obj.target_description

    def save_model(self, request, obj, form, change):
        rule_save(obj)

    def delete_model(self, request, obj):
        rule_delete(obj)

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            rule_delete(rule)


@admin.register(DiversitySetting)
class DiversitySettingAdmin(WorkspaceScopedAdmin):
    """How spread each placement's lists are: a setting for a placement wins over the one for every list."""

    list_display = ["placement_name", "diversity", "cap_per_genre", "cap_per_creator", "updated_at"]
    list_filter = ["placement"]
    readonly_fields = ["updated_at"]

    @admin.display(description="Placement", ordering="placement")
    def placement_name(self, obj):
        return obj.get_placement_display()

    def save_model(self, request, obj, form, change):
        diversity_setting_save(obj)

    def delete_model(self, request, obj):
        diversity_setting_delete(obj)

    def delete_queryset(self, request, queryset):
        for setting in queryset:
            diversity_setting_delete(setting)
