"""Small presentation helpers for catalog cards: posters drawn locally, star text."""

import zlib

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from catalog.models import RATING_VALUES

register = template.Library()

_SKIP = {"the", "a", "an", "le", "la", "les", "l", "der", "die", "das", "el"}


def initials(title: str) -> str:
    words = [w for w in title.replace("-", " ").split() if w[:1].isalnum()]
    significant = [w for w in words if w.lower() not in _SKIP] or words
    return "".join(w[0] for w in significant[:2]).upper() or "?"


@register.simple_tag
def poster(item, size: str = ""):
    """A poster placeholder drawn from the item's id and title: no network, stable across pages.

    Plain string building with one escape: the feed draws dozens of these per page.
    """
    seed = zlib.crc32(f"{item.pk}:{item.title}".encode())
    hue = seed % 360
    hue2 = (hue + 35 + (seed >> 9) % 50) % 360
    x2, y2 = ((0, 1), (1, 1), (1, 0), (0.5, 1))[(seed >> 16) % 4]
    gid = f"g{item.pk}{escape(size)}"
    cx, cy, r = 40 + seed % 120, 40 + (seed >> 7) % 220, 50 + (seed >> 11) % 60
    return mark_safe(  # noqa: S308 - numbers, and escaped text
        f'<svg class="poster" viewBox="0 0 200 300" aria-hidden="true" focusable="false">'
        f'<defs><linearGradient id="{gid}" x1="0" y1="0" x2="{x2}" y2="{y2}">'
        f'<stop offset="0" stop-color="hsl({hue},55%,38%)"/><stop offset="1" stop-color="hsl({hue2},60%,22%)"/>'
        f'</linearGradient></defs><rect width="200" height="300" fill="url(#{gid})"/>'
        f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="hsl({hue2},70%,70%)" opacity=".18"/>'
        f'<text x="100" y="172" text-anchor="middle" font-size="72" font-weight="700" fill="#fff" '
        f'font-family="system-ui, sans-serif">{escape(initials(item.title))}</text></svg>'
    )


@register.filter
def stars(value) -> str:
    """4.5 -> "★★★★½"."""
    if value is None:
        return ""
    value = float(value)
    return "★" * int(value) + ("½" if value % 1 else "")


@register.simple_tag
def star_inputs(item, prefix: str = "", current=None):
    """Ten radios, half a star each, for rating `item`.

    Highest first: laid out right-to-left, CSS lights up every lower value
    (see encore.css). Built here with one escape rather than in a template
    loop: the feed shows dozens of cards, and the loop cost more than the rest of the page.
    """
    base = f"s-{escape(prefix)}-{item.pk}-"
    radios = []
    for n, value in enumerate(reversed(RATING_VALUES), start=1):
        checked = " checked" if current == value else ""
        half = "right" if n % 2 else "left"
        words = f"{value:g} star{'' if value == 1 else 's'}"
        radios.append(
            f'<input type="radio" id="{base}{n}" name="value" value="{value:g}"{checked}>'
            f'<label for="{base}{n}" class="{half}"><span class="visually-hidden">{words}</span></label>'
        )
    legend = f'<legend class="visually-hidden">Your rating of {escape(item.title)}</legend>'
    return mark_safe(f'<fieldset class="stars">{legend}{"".join(radios)}</fieldset>')  # noqa: S308 - escaped above


@register.simple_tag
def feedback_buttons():
    # Symbols every system font has; the words carry the meaning for screen readers.
    return [("like", "Like", "♥"), ("dislike", "Dislike", "✗"), ("not_interested", "Not interested", "⊘")]
