"""What Encore keeps about a person beyond Django's user: their workspace, and onboarding state.

Every person (a website member, an imported user, a partner's user sent over the
API) has a profile, and so exactly one workspace; staff accounts get one in `default`.
"""

from django.conf import settings
from django.db import models


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    workspace = models.ForeignKey("core.Workspace", on_delete=models.CASCADE, related_name="profiles")
    # Set when the member finished or skipped onboarding, so we ask only once.
    onboarded_at = models.DateTimeField(null=True, blank=True)
    onboarding_skipped = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"profile of {self.user_id}"
