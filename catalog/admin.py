from django.contrib import admin
from django.db import models
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from catalog.models import Genre, Interaction, Item, ItemTag, Rating, Tag
from catalog.services import interactions_delete, ratings_delete
from core.admin import WorkspaceScopedAdmin, WorkspaceScopedInline
from core.workspaces import workspace_data_changed


@admin.register(Genre)
class GenreAdmin(WorkspaceScopedAdmin):
    list_display = ["name", "slug", "item_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_items=Count("items"))

    @admin.display(ordering="n_items", description="items")
    def item_count(self, genre):
        return genre.n_items


@admin.register(Tag)
class TagAdmin(WorkspaceScopedAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class ItemTagInline(WorkspaceScopedInline, admin.TabularInline):
    model = ItemTag
    workspace_path = "item__workspace"
    autocomplete_fields = ["tag"]
    extra = 0


@admin.register(Item)
class ItemAdmin(WorkspaceScopedAdmin):
    list_display = ["title", "year", "kind", "genre_list", "rating_count", "rating_avg", "is_active", "ratings_link"]
    list_filter = ["kind", "is_active", ("genres", admin.RelatedOnlyFieldListFilter), "source"]
    search_fields = ["title", "source_id", "=id"]
    list_editable = ["is_active"]
    filter_horizontal = ["genres"]
    readonly_fields = ["rating_count", "rating_avg", "created_at", "updated_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # an image address typed without one
    inlines = [ItemTagInline]
    actions = ["hide_items", "show_items"]
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("genres")

    @admin.display(description="genres")
    def genre_list(self, item):
        return ", ".join(g.name for g in item.genres.all())

    @admin.display(description="")
    def ratings_link(self, item):
        url = reverse("admin:catalog_rating_changelist") + f"?item__id__exact={item.pk}"
        return format_html('<a href="{}">ratings</a>', url)

    # A changed catalog is new data for the workspace's next training run.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        workspace_data_changed(obj.workspace_id)

    def delete_queryset(self, request, queryset):
        workspaces = set(queryset.values_list("workspace_id", flat=True))
        super().delete_queryset(request, queryset)
        _data_changed(workspaces)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        workspace_data_changed(obj.workspace_id)

    @admin.action(description="Hide selected items everywhere")
    def hide_items(self, request, queryset):
        self.message_user(request, f"{_set_active(queryset, False)} items hidden.")

    @admin.action(description="Show selected items again")
    def show_items(self, request, queryset):
        self.message_user(request, f"{_set_active(queryset, True)} items shown.")


def _set_active(queryset, active: bool) -> int:
    workspaces = set(queryset.values_list("workspace_id", flat=True))
    changed = queryset.update(is_active=active)
    _data_changed(workspaces)
    return changed


def _data_changed(workspace_ids) -> None:
    for workspace_id in workspace_ids:
        workspace_data_changed(workspace_id)


class WhatPeopleDidAdmin(WorkspaceScopedAdmin):
    """Ratings and events are what people did: staff look them up and may remove abuse, but never
    write them; deletions go through the one write path, which keeps items' counters true."""

    workspace_path = "item__workspace"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        self.delete_queryset(request, self.get_queryset(request).filter(pk=obj.pk))


@admin.register(Rating)
class RatingAdmin(WhatPeopleDidAdmin):
    list_display = ["user", "item", "value", "updated_at"]
    list_filter = ["value"]
    search_fields = ["user__username", "item__title"]
    autocomplete_fields = ["item"]
    raw_id_fields = ["user"]
    list_select_related = ["user", "item"]
    date_hierarchy = "updated_at"
    show_full_result_count = False

    def delete_queryset(self, request, queryset):
        ratings_delete(rating_ids=queryset.values_list("pk", flat=True))


@admin.register(Interaction)
class InteractionAdmin(WhatPeopleDidAdmin):
    list_display = ["user", "kind", "item", "value", "created_at"]
    list_filter = ["kind"]
    search_fields = ["user__username", "item__title"]
    autocomplete_fields = ["item"]
    raw_id_fields = ["user"]
    list_select_related = ["user", "item"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def delete_queryset(self, request, queryset):
        interactions_delete(event_ids=queryset.values_list("pk", flat=True))
