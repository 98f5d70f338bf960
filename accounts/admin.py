from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import Profile
from catalog.services import people_forget

admin.site.unregister(User)


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    readonly_fields = ["onboarded_at", "onboarding_skipped"]
    verbose_name_plural = "onboarding"


@admin.register(User)
class EncoreUserAdmin(UserAdmin):
    """Users with one-click links to what they rated and did."""

    list_display = ["username", "email", "is_staff", "date_joined", "last_login", "history"]
    inlines = [ProfileInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_ratings=Count("ratings", distinct=True))

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
