"""Who may sign in: the website is the `default` workspace's, so only its people (and staff)."""

from django.contrib.auth.backends import ModelBackend

from core.workspaces import default_workspace_id, person_workspace_id


class WebsiteBackend(ModelBackend):
    """Django's password check, refusing the people of other workspaces: a partner's users exist in
    their partner's workspace only, and must not get a session on the public website."""

    def user_can_authenticate(self, user) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return user.is_staff or person_workspace_id(user.pk) == default_workspace_id()
