"""Per-client rate limits: every key of a partner shares one budget, whichever process serves it."""

from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiClient


class ClientRateThrottle(SimpleRateThrottle):
    scope = "client"

    def allow_request(self, request, view):
        client = request.auth
        if isinstance(client, ApiClient) and client.throttle_rate:
            self.rate = client.throttle_rate
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiClient):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
        return None


class IngestionRateThrottle(ClientRateThrottle):
    """A second, smaller budget for writes: one batch can carry 10,000 rows."""

    scope = "client_write"

    def allow_request(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return SimpleRateThrottle.allow_request(self, request, view)


class WebsiteUserRateThrottle(SimpleRateThrottle):
    scope = "website_user"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
