from django.shortcuts import render
from django.urls import reverse

from accounts.models import Profile
from core.workspaces import default_workspace_id
from experiments.recording import impression_record
from experiments.serving import choose
from recommendations.feed import home_feed
from recommendations.serving import active_models


def _feed_context(request) -> dict:
    workspace = default_workspace_id()
    member = request.user.pk if request.user.is_authenticated else None
    choice = choose(workspace_id=workspace, user_id=member)
    rows = home_feed(user=request.user, choice=choice)
    # Every row shown is a list: recorded with its id, which its cards carry to what the member does next.
    model = active_models.get(workspace)
    for row in rows:
        row.recommendation_id = impression_record(
            workspace_id=workspace, user_id=member, placement=row.placement, choice=choice,
            model_version_id=choice.version_id or (model.version_id if model else None),
            items=[card.item.pk for card in row.cards],
        ).recommendation_id  # fmt: skip
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
