"""Per-client rate limits: every key of a partner shares one budget.

Fixed windows counted with cache.incr: O(1) per request and atomic on Redis,
where DRF's SimpleRateThrottle re-reads and re-writes a list of every request
time in the window (thousands of entries at API rates) on each request.
"""

import time

from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiClient


class FixedWindowThrottle(SimpleRateThrottle):
    def allow_request(self, request, view):
        if self.rate is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        key = f"{ident}:{window}"
        # add() starts the window only if nobody has; incr() is atomic on Redis and memcached.
        cache.add(key, 0, self.duration + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, self.duration + 1)
            count = 1
        self.retry_after = (window + 1) * self.duration - now
        return count <= self.num_requests

    def wait(self):
        return max(1.0, self.retry_after)


class ClientRateThrottle(FixedWindowThrottle):
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


class IngestionRateThrottle(FixedWindowThrottle):
    """A second, smaller budget for writes: one batch can carry 10,000 rows."""

    scope = "client_write"

    def allow_request(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiClient):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
        return None


class WebsiteUserRateThrottle(FixedWindowThrottle):
    scope = "website_user"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
