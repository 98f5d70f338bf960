"""The workspaces in the admin: their settings, quotas and staff, and a page of what each holds."""

from functools import partial

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.models import Profile
from catalog.models import Interaction, Item, Rating
from config.celery import QueueUnavailable
from core.admin.scoping import workspace_ids_allowed
from core.models import Workspace
from core.quotas import usage
from core.workspaces import SLUG_PATTERN
from experiments.dashboard_views import dashboard_view
from recommendations.engine import ALGORITHMS
from recommendations.models import ModelVersion
from recommendations.tasks import train_model_enqueue


class WorkspaceForm(forms.ModelForm):
    algorithm = forms.ChoiceField(required=False, help_text="Model trained for this workspace.")

    class Meta:
        model = Workspace
        fields = [
            "slug", "name", "algorithm", "retrain_minutes", "quality_tolerance",
            "max_items", "max_people", "max_genres", "max_events_per_day", "staff",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["algorithm"].choices = [("", f"Platform default ({settings.ENCORE_MODEL_ALGORITHM})")] + [
            (name, name) for name in ALGORITHMS
        ]
        # Say what "empty" means today, next to each setting that falls back to the platform's.
        defaults = {
            "retrain_minutes": settings.ENCORE_RETRAIN_MINUTES,
            "quality_tolerance": settings.ENCORE_QUALITY_TOLERANCE,
            **{f"max_{name}": getattr(settings, f"WORKSPACE_MAX_{name.upper()}") for name in _QUOTAS},
        }
        for name, value in defaults.items():
            if name in self.fields:
                self.fields[name].help_text += f" Platform default now: {value:,}."

    def clean_slug(self):
        slug = self.cleaned_data["slug"].strip().lower()
        if not SLUG_PATTERN.match(slug):
            raise forms.ValidationError(
                "Use 1-50 lowercase letters, digits and hyphens, starting and ending with a letter or digit."
            )
        return slug


_QUOTAS = {"items": "Items", "people": "People", "genres": "Genres", "events_per_day": "Ratings and events today"}


def _count_of(model) -> Coalesce:
    """Rows of `model` per workspace, as a subquery: one statement for the whole list."""
    rows = model.objects.filter(workspace=OuterRef("pk")).order_by().values("workspace")
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0)


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    """Workspaces: their settings and quotas, who looks after them, and what they hold now."""

    form = WorkspaceForm
    list_display = ["slug", "name", "item_count", "people_count", "active_version", "data_changed", "created_at"]
    search_fields = ["slug", "name"]
    filter_horizontal = ["staff"]
    actions = ["train"]
    fieldsets = [
        (None, {"fields": ["slug", "name", "created_at"]}),
        ("Training", {"fields": ["algorithm", "retrain_minutes", "quality_tolerance", "data_changed_at"]}),
        (
            "Quotas",
            {
                "fields": ["max_items", "max_people", "max_genres", "max_events_per_day"],
                "description": "They bound what the workspace's API clients write; staff imports are not limited.",
            },
        ),
        ("Staff", {"fields": ["staff"]}),
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        ids = workspace_ids_allowed(request)
        if ids is not None:
            queryset = queryset.filter(pk__in=ids)
        return queryset.annotate(n_items=_count_of(Item), n_people=_count_of(Profile)).prefetch_related(
            Prefetch("model_versions", queryset=ModelVersion.objects.active(), to_attr="active_versions")
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = ["created_at", "data_changed_at"]
        if obj is not None:
            readonly.append("slug")  # commands, URLs and artifact paths name it
        if not request.user.is_superuser:
            readonly.append("staff")
        return readonly

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "staff":
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True).order_by("username")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def in_scope(self, request, obj) -> bool:
        ids = workspace_ids_allowed(request)
        return obj is None or ids is None or obj.pk in ids

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        # The website is the default workspace: it cannot go.
        return request.user.is_superuser and not (obj is not None and obj.is_default)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self.in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.in_scope(request, obj)

    def save_model(self, request, obj, form, change):
        if not self.in_scope(request, obj):
            raise PermissionDenied("This workspace is not one of yours.")
        super().save_model(request, obj, form, change)

    @admin.display(description="items", ordering="n_items")
    def item_count(self, workspace):
        return f"{workspace.n_items:,}"

    @admin.display(description="people", ordering="n_people")
    def people_count(self, workspace):
        return f"{workspace.n_people:,}"

    @admin.display(description="active model")
    def active_version(self, workspace):
        version = next(iter(workspace.active_versions), None)
        if version is None:
            return "—"
        url = reverse("admin:recommendations_modelversion_change", args=[version.pk])
        return format_html('<a href="{}">{}</a>', url, version)

    @admin.display(description="data changed", boolean=True, ordering="data_changed_at")
    def data_changed(self, workspace):
        return workspace.data_changed_at is not None

    @admin.action(description="Train a new model now (on the workers)", permissions=["change"])
    def train(self, request, queryset):
        trainings_queue(self, request, queryset, follow="its model versions show it")

    def get_urls(self):
        dashboard = self.admin_site.admin_view(partial(dashboard_view, admin_site=self.admin_site))
        return [path("dashboard/", dashboard, name="core_workspace_dashboard"), *super().get_urls()]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["summary"] = workspace_summary(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)


def workspace_summary(workspace: Workspace) -> dict:
    """What the workspace page shows: what it holds, what serves it, and how much of each quota it uses."""
    quotas = usage(workspace)
    counts = [
        ("Items", quotas["items"][0], "catalog_item"),
        ("Genres", quotas["genres"][0], "catalog_genre"),
        ("People", quotas["people"][0], "auth_user"),
        ("Ratings", Rating.objects.filter(item__workspace=workspace).count(), "catalog_rating"),
        ("Events", Interaction.objects.filter(item__workspace=workspace).count(), "catalog_interaction"),
    ]
    version = ModelVersion.objects.filter(workspace=workspace).active().first()
    return {
        "counts": [
            {"label": label, "n": n, "url": reverse(f"admin:{view}_changelist") + f"?workspace={workspace.pk}"}
            for label, n, view in counts
        ],
        "version": version,
        "version_url": reverse("admin:recommendations_modelversion_change", args=[version.pk]) if version else "",
        "versions_url": reverse("admin:recommendations_modelversion_changelist") + f"?workspace={workspace.pk}",
        "quotas": [
            {"label": _QUOTAS[name], "used": used, "limit": limit, "percent": _percent(used, limit)}
            for name, (used, limit) in quotas.items()
        ],
    }


def _percent(used: int, limit: int) -> int:
    return round(100 * used / limit) if limit else 100  # a limit of 0 is full from the start


def trainings_queue(modeladmin, request, workspaces, *, follow: str) -> None:
    """Queue a training run of each workspace (the admin's actions), saying so, or why not."""
    for workspace in workspaces:
        try:
            train_model_enqueue(workspace_id=workspace.pk, trigger=ModelVersion.Trigger.ADMIN)
        except QueueUnavailable as exc:
            modeladmin.message_user(request, f"Training not started: {exc}", messages.ERROR)
            return
        modeladmin.message_user(request, f"Training queued for {workspace}; {follow}.", messages.SUCCESS)
