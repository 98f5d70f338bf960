"""`Authorization: Api-Key <key>`: how partners authenticate."""

import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone
from rest_framework import authentication, exceptions

from api.models import ApiClient
from core import process_caches

KEYWORD = "Api-Key"
# Recording every use would add a write to every read; once a minute is enough to spot stale keys.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Sets request.auth to the ApiClient; request.user stays anonymous (a client is not a person)."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() != KEYWORD.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(f"Send exactly one key: `Authorization: {KEYWORD} <key>`.")
        try:
            key = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The API key contains invalid characters.") from None
        client = _client_by_hash(ApiClient.hash_key(key))
        if client is None:
            raise exceptions.AuthenticationFailed("Unknown API key.")
        if client.is_revoked:
            raise exceptions.AuthenticationFailed("This API key was revoked.")
        now = timezone.now()
        if client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION:
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
            client.last_used_at = now
        return AnonymousUser(), client

    def authenticate_header(self, request):
        return KEYWORD


# key hash -> (monotonic expiry, client). Each process keeps the clients it has recently seen for
# API_KEY_CACHE_SECONDS: a key lookup would otherwise be a database round trip on every request.
# Revoking clears this process's entries at once (see api.signals); other processes follow within the TTL.
_recent: dict[str, tuple[float, ApiClient | None]] = {}


def _client_by_hash(key_hash: str) -> ApiClient | None:
    ttl = settings.API_KEY_CACHE_SECONDS
    if ttl:
        hit = _recent.get(key_hash)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
    # A raw query skips the ORM's query compilation, a third of a millisecond on every request.
    table = connection.ops.quote_name(ApiClient._meta.db_table)
    found = list(ApiClient.objects.raw(f"SELECT * FROM {table} WHERE key_hash = %s", [key_hash]))  # noqa: S608
    client = found[0] if found else None
    if ttl and client is not None:
        if len(_recent) >= process_caches.API_KEYS:
            _recent.clear()
        _recent[key_hash] = (time.monotonic() + ttl, client)
    return client


def forget_recent_clients() -> None:
    _recent.clear()


process_caches.register("API keys", clear=forget_recent_clients)
