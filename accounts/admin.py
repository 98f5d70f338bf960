from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group, User
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import Profile
from accounts.services import person_add
from catalog.services import people_forget
from core.admin import WorkspaceScopedAdmin, WorkspaceScopedInline, workspace_id_suggested, workspaces_allowed
from core.models import Workspace

admin.site.unregister(User)
admin.site.unregister(Group)

# What only superusers grant: staff limited to some workspaces cannot widen anyone's powers.
PRIVILEGE_FIELDS = ["is_staff", "is_superuser", "groups", "user_permissions"]


class ProfileInline(WorkspaceScopedInline, admin.StackedInline):
    model = Profile
    can_delete = False
    readonly_fields = ["onboarded_at", "onboarding_skipped"]
    verbose_name_plural = "workspace and onboarding"


class PersonCreationForm(AdminUserCreationForm):
    workspace = forms.ModelChoiceField(
        queryset=Workspace.objects.none(), help_text="The workspace this person belongs to; it never changes."
    )


@admin.register(User)
class EncoreUserAdmin(WorkspaceScopedAdmin, UserAdmin):
    """People, each of one workspace (their profile's), with one-click links to what they rated and did."""

    workspace_path = "profile__workspace"
    add_form = PersonCreationForm
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "workspace", "usable_password", "password1", "password2"]})
    ]
    list_display = ["username", "email", "is_staff", "date_joined", "last_login", "history"]
    inlines = [ProfileInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_ratings=Count("ratings", distinct=True))

    def get_inlines(self, request, obj):
        # A new account gets its profile when it is saved, in the workspace chosen on the form.
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "workspace" in form.base_fields and obj is None:
            form.base_fields["workspace"].queryset = workspaces_allowed(request)
            form.base_fields["workspace"].initial = workspace_id_suggested(request)
        return form

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else readonly + PRIVILEGE_FIELDS

    # Staff limited to some workspaces may look at staff accounts there, not change them (nor
    # their passwords): otherwise they could act as someone with more powers than their own.
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _beyond(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _beyond(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        person_add(user=obj, workspace=form.cleaned_data["workspace"])

    # Deleting people goes through the one write path, so their ratings leave items' counters.
    def delete_model(self, request, obj):
        people_forget(user_ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        people_forget(user_ids=queryset.values_list("pk", flat=True))

    @admin.display(description="history", ordering="n_ratings")
    def history(self, user):
        ratings = reverse("admin:catalog_rating_changelist") + f"?user__id__exact={user.pk}"
        events = reverse("admin:catalog_interaction_changelist") + f"?user__id__exact={user.pk}"
        return format_html('<a href="{}">{} ratings</a> · <a href="{}">events</a>', ratings, user.n_ratings, events)


def _beyond(request, user) -> bool:
    return user is not None and not request.user.is_superuser and (user.is_staff or user.is_superuser)


@admin.register(Group)
class EncoreGroupAdmin(GroupAdmin):
    """Groups say what staff may do anywhere: only superusers define them."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
