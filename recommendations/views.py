from django.shortcuts import render
from django.urls import reverse

from accounts.models import Profile
from recommendations.feed import home_feed


def _feed_context(request) -> dict:
    rows = home_feed(user=request.user)
    welcome = ""
    if request.user.is_authenticated and any(row.key == "popular" for row in rows):
        # A member without any history yet: invite them to pick a few titles (gently, if they skipped before).
        skipped = Profile.objects.filter(user=request.user, onboarding_skipped=True).exists()
        welcome = "skipped" if skipped else "new"
    # The first row's cards (top picks, or what is popular) under the name earlier callers know.
    recommendations = rows[0].cards if rows else []
    return {"rows": rows, "welcome": welcome, "recommendations": recommendations}


def home(request):
    # Members get their own rows, each card with its reason; visitors get what is popular and trending.
    return render(request, "recommendations/home.html", _feed_context(request))


def render_feed(request, *, message: str = ""):
    """The feed section alone, re-computed after an action so it reflects it at once (htmx swaps it in)."""
    # Rendered in answer to a POST on an item: its forms must still lead back home without JavaScript.
    context = _feed_context(request) | {"message": message, "next_url": reverse("home")}
    return render(request, "recommendations/_feed.html", context)
