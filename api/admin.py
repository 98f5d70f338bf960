from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.utils import timezone

from api.authentication import forget_recent_clients
from api.models import ApiClient, ClientUser
from core.admin import WorkspaceScopedAdmin, WorkspaceScopedForm


class ApiClientForm(WorkspaceScopedForm):
    scopes = forms.MultipleChoiceField(
        choices=ApiClient.Scope.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    throttle_rate = forms.RegexField(
        regex=r"^[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)$",
        required=False,
        help_text="Requests allowed, e.g. 600/min or 20/s; empty uses API_THROTTLE_RATE.",
    )

    class Meta:
        model = ApiClient
        fields = ["workspace", "name", "scopes", "throttle_rate"]


@admin.register(ApiClient)
class ApiClientAdmin(WorkspaceScopedAdmin):
    form = ApiClientForm
    list_display = [
        "name", "key_prefix", "scope_list", "throttle_rate", "created_at", "last_used_at", "status", "n_users",
    ]  # fmt: skip
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "key_prefix"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at", "revoked_at"]
    fields = ["workspace", "name", "scopes", "throttle_rate", "key_prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_users=Count("users"))

    @admin.display(description="scopes")
    def scope_list(self, client):
        return ", ".join(client.scopes) or "—"

    @admin.display(description="status", boolean=False, ordering="revoked_at")
    def status(self, client):
        return f"revoked {client.revoked_at:%Y-%m-%d %H:%M}" if client.revoked_at else "active"

    @admin.display(description="users", ordering="n_users")
    def n_users(self, client):
        return client.n_users

    @admin.action(description="Revoke the keys of the selected clients")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        forget_recent_clients()  # update() sends no post_save
        self.message_user(request, f"Revoked {count} client key(s); they are refused from now on.", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        # A client created here gets its key once, in the confirmation message; only the hash is stored.
        key = obj.set_new_key() if not change else None
        super().save_model(request, obj, form, change)
        if key:
            self.message_user(request, f"API key for {obj.name} (shown once, copy it now): {key}", messages.WARNING)


@admin.register(ClientUser)
class ClientUserAdmin(WorkspaceScopedAdmin):
    list_display = ["external_id", "client", "user", "created_at"]
    list_filter = [("client", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["external_id", "user__username"]
    raw_id_fields = ["user"]
    list_select_related = ["client", "user"]
