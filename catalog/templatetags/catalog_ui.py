"""Small presentation helpers for catalog cards: posters drawn locally, star text."""

import zlib

from django import template
from django.utils.html import format_html

from catalog.models import RATING_VALUES

register = template.Library()

_SKIP = {"the", "a", "an", "le", "la", "les", "l", "der", "die", "das", "el"}


def initials(title: str) -> str:
    words = [w for w in title.replace("-", " ").split() if w[:1].isalnum()]
    significant = [w for w in words if w.lower() not in _SKIP] or words
    return "".join(w[0] for w in significant[:2]).upper() or "?"


@register.simple_tag
def poster(item, size: str = ""):
    """A poster placeholder drawn from the item's id and title: no network, stable across pages."""
    seed = zlib.crc32(f"{item.pk}:{item.title}".encode())
    hue = seed % 360
    hue2 = (hue + 35 + (seed >> 9) % 50) % 360
    angle = (seed >> 16) % 4
    x2, y2 = ((0, 1), (1, 1), (1, 0), (0.5, 1))[angle]
    gradient_id = f"g{item.pk}{size}"
    return format_html(
        '<svg class="poster {}" viewBox="0 0 200 300" aria-hidden="true" focusable="false">'
        '<defs><linearGradient id="{}" x1="0" y1="0" x2="{}" y2="{}">'
        '<stop offset="0" stop-color="hsl({},55%,38%)"/><stop offset="1" stop-color="hsl({},60%,22%)"/>'
        "</linearGradient></defs>"
        '<rect width="200" height="300" fill="url(#{})"/>'
        '<circle cx="{}" cy="{}" r="{}" fill="hsl({},70%,70%)" opacity=".18"/>'
        '<text x="100" y="172" text-anchor="middle" font-size="72" font-weight="700" fill="#fff" '
        'font-family="system-ui, sans-serif">{}</text></svg>',
        size, gradient_id, x2, y2, hue, hue2, gradient_id,
        40 + seed % 120, 40 + (seed >> 7) % 220, 50 + (seed >> 11) % 60, hue2,
        initials(item.title),
    )  # fmt: skip


@register.filter
def stars(value) -> str:
    """4.5 -> "★★★★½"."""
    if value is None:
        return ""
    value = float(value)
    return "★" * int(value) + ("½" if value % 1 else "")


@register.simple_tag
def rating_choices():
    # Highest first: the stars are laid out right-to-left so CSS can light up lower ones (see encore.css).
    return [(v, f"{v:g}") for v in reversed(RATING_VALUES)]


@register.simple_tag
def feedback_buttons():
    # Symbols every system font has; the words carry the meaning for screen readers.
    return [("like", "Like", "♥"), ("dislike", "Dislike", "✗"), ("not_interested", "Not interested", "⊘")]
