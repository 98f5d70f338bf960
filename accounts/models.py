"""What the website keeps about a member beyond Django's user: onboarding state."""

from django.conf import settings
from django.db import models


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    # Set when the member finished or skipped onboarding, so we ask only once.
    onboarded_at = models.DateTimeField(null=True, blank=True)
    onboarding_skipped = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"profile of {self.user_id}"
