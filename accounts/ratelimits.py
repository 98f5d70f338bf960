"""Who is asking and how often: the client's address, log-in lockout keys, per-visitor limits.

Behind proxies, REMOTE_ADDR is the nearest proxy for every visitor. The client's
own address is the X-Forwarded-For entry the outermost trusted proxy wrote;
entries to its left are whatever the client sent, so only TRUSTED_PROXY_COUNT
says which one to believe.
"""

import ipaddress

from django.conf import settings
from django_ratelimit.core import is_ratelimited


def client_ip(request) -> str:
    """The client's address as far as it is known (the nearest proxy's when it is not)."""
    # A proxy on a Unix socket leaves REMOTE_ADDR empty: it is local, and stands for every visitor.
    remote = request.META.get("REMOTE_ADDR") or "127.0.0.1"
    count = settings.TRUSTED_PROXY_COUNT
    if not count:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < count:
        return remote  # not through every trusted proxy: nothing in the header can be believed
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote


def lockout_parameters(request, credentials=None) -> list:
    """django-axes' keys: an account and an address together when the address is the client's.

    Then repeated wrong passwords lock that account from that address only, and
    nobody elsewhere can lock its owner out. When the address is a shared proxy's,
    it would lock every visitor out at once: the account alone is the key.
    """
    return [["username", "ip_address"]] if settings.CLIENT_IP_KNOWN else ["username"]


def _normalised_email(group, request) -> str:
    return request.POST.get("email", "").strip().lower()


def _browser(group, request) -> str:
    return request.COOKIES[settings.CSRF_COOKIE_NAME]


def visitor_limited(request, *, group: str, rate: str) -> bool:
    """Counts this POST and says whether its visitor went over `rate`.

    A visitor is their browser (its CSRF cookie: every form post that passes the
    CSRF check carries one, and reading it writes nothing), and also their address
    when it is the client's own: behind a proxy whose address stands for everyone,
    counting by it would make a per-visitor limit one for the whole site, used up by anyone.
    """
    limited = False
    if settings.CSRF_COOKIE_NAME in request.COOKIES:
        limited |= is_ratelimited(
            request, group=f"{group}-browser", key=_browser, rate=rate, method="POST", increment=True
        )
    if settings.CLIENT_IP_KNOWN:
        limited |= is_ratelimited(request, group=f"{group}-ip", key="ip", rate=rate, method="POST", increment=True)
    return limited


def signup_limited(request) -> bool:
    """Counts this sign-up attempt and says whether its visitor went over SIGNUP_RATE_LIMIT."""
    return visitor_limited(request, group="signup", rate=settings.SIGNUP_RATE_LIMIT)


def password_reset_limited(request) -> bool:
    """Counts this reset request per visitor and per email (no mailbox gets flooded either)."""
    rate = settings.PASSWORD_RESET_RATE_LIMIT
    by_visitor = visitor_limited(request, group="reset", rate=rate)
    by_email = is_ratelimited(
        request, group="reset-email", key=_normalised_email, rate=rate, method="POST", increment=True
    )
    return by_visitor or by_email
