"""Who is asking and how often: the client's address, log-in lockout keys, sign-up and reset limits.

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


def signup_limited(request) -> bool:
    """Counts this sign-up attempt and says whether its address went over SIGNUP_RATE_LIMIT."""
    return is_ratelimited(
        request, group="signup", key="ip", rate=settings.SIGNUP_RATE_LIMIT, method="POST", increment=True
    )


def password_reset_limited(request) -> bool:
    """Counts this reset request per address and per email (no mailbox gets flooded either)."""
    rate = settings.PASSWORD_RESET_RATE_LIMIT
    by_ip = is_ratelimited(request, group="reset-ip", key="ip", rate=rate, method="POST", increment=True)
    by_email = is_ratelimited(
        request, group="reset-email", key=_normalised_email, rate=rate, method="POST", increment=True
    )
    return by_ip or by_email
