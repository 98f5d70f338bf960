from rest_framework import permissions

from api.models import ApiClient


class _ClientScope(permissions.BasePermission):
    scope = ""
    message = "An API key is required."

    def has_permission(self, request, view):
        client = request.auth
        if not isinstance(client, ApiClient):
            return False
        if not client.has_scope(self.scope):
            self.message = f"This API key lacks the '{self.scope}' scope."
            return False
        return True


class CanRead(_ClientScope):
    scope = ApiClient.Scope.READ


class CanWrite(_ClientScope):
    scope = ApiClient.Scope.WRITE


class CanManageRules(_ClientScope):
    """Rules need their own scope for every method: they reveal and steer what every list shows."""

    scope = ApiClient.Scope.RULES


class ReadOrWriteByMethod(permissions.BasePermission):
    """Safe methods need the read scope, anything else the write scope."""

    message = "An API key is required."

    def has_permission(self, request, view):
        checker = CanRead() if request.method in permissions.SAFE_METHODS else CanWrite()
        allowed = checker.has_permission(request, view)
        self.message = getattr(checker, "message", self.message)
        return allowed


class IsWebsiteUser(permissions.BasePermission):
    message = "Log in to the website to use /api/v1/me/."

    def has_permission(self, request, view):
        # Partners' users have no password and cannot log in; check anyway so a key never reaches /me/.
        return bool(request.user and request.user.is_authenticated and not isinstance(request.auth, ApiClient))
