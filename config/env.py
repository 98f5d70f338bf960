"""The environment, read through django-environ with errors that name the variable.

Every reader raises ImproperlyConfigured("NAME: what is wrong, got 'value'"), so a
typo in production stops start-up instead of silently picking a default.
"""

from __future__ import annotations

from urllib.parse import urlparse

import environ
from django.core.exceptions import ImproperlyConfigured

NOTSET = environ.Env.NOTSET
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")  # `DEBUG=` turns it off, as it reads


class Env(environ.Env):
    def get_value(self, var, cast=None, default=NOTSET, parse_default=False):
        # Values are taken literally: environ.Env would read one starting with "$" (a
        # password, say) as the name of another variable.
        raw = self.ENVIRON.get(var)
        if raw is None or (cast in (int, float) and not raw.strip()):
            if default is NOTSET:
                raise ImproperlyConfigured(f"{var}: must be set")
            if not parse_default or default is None:
                return default
            raw = default
        try:
            return self.parse_value(raw, cast)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{var}: {exc}") from None

    @classmethod
    def parse_value(cls, value, cast):
        # environ.Env reads any unknown word as False and keeps the digits of "1.5s" as a
        # float: here a value is exactly of its type or an error.
        if cast is bool:
            word = value.strip().lower()
            if word not in _TRUE + _FALSE:
                raise ValueError(f"must be a boolean (1/0, true/false, yes/no, on/off), got {value!r}")
            return word in _TRUE
        if cast in (int, float):
            try:
                return cast(value.strip())
            except ValueError:
                raise ValueError(f"must be {'an integer' if cast is int else 'a number'}, got {value!r}") from None
        if cast is list:
            return [part.strip() for part in value.split(",") if part.strip()]
        return super().parse_value(value, cast)

    def str(self, var, default=NOTSET, multiline=False, choices=NOTSET) -> str:
        value = super().str(var, default=default, multiline=multiline)
        if choices is not NOTSET and value not in choices:
            raise ImproperlyConfigured(f"{var}: must be one of {', '.join(choices)}, got {value!r}")
        return value

    def int(self, var, default=NOTSET, *, minimum: int | None = None, maximum: int | None = None) -> int:
        return _within(var, super().int(var, default=default), minimum, maximum)

    def float(self, var, default=NOTSET, *, minimum: float | None = None, maximum: float | None = None) -> float:
        return _within(var, super().float(var, default=default), minimum, maximum)

    def db_url(self, var="DATABASE_URL", default=NOTSET, engine=None) -> dict:
        url = self.str(var, default=default)
        scheme = urlparse(url).scheme
        if scheme not in self.DB_SCHEMES:
            raise ImproperlyConfigured(f"{var}: unknown scheme {scheme!r} (use postgres:// or sqlite:///)")
        try:
            return self.db_url_config(url, engine=engine)
        except (ValueError, ImproperlyConfigured) as exc:
            raise ImproperlyConfigured(f"{var}: not a valid database URL: {exc}") from None

    def cache_url(self, var="CACHE_URL", default=NOTSET, backend=None) -> dict:
        try:
            return self.cache_url_config(self.str(var, default=default), backend=backend)
        except (ValueError, ImproperlyConfigured) as exc:
            raise ImproperlyConfigured(f"{var}: not a valid cache URL: {exc}") from None


def _within(var, value, minimum, maximum):
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{var}: must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{var}: must be at most {maximum}, got {value}")
    return value
