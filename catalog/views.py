"""Catalog pages: browse and search, item details, and the member's actions on an item.

Every action is a plain POST that redirects back, so it works without
JavaScript; with htmx it answers with the fragment to swap in instead.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from catalog import selectors
from catalog.forms import BrowseForm, FeedbackForm, RatingForm
from catalog.models import Item
from catalog.services import interactions_undo, opinion_set, rating_delete, rating_upsert
from catalog.templatetags.catalog_ui import stars
from experiments.attribution import LIKED_RATING, engagements_note
from experiments.models import Engagement
from experiments.recording import impression_record
from experiments.serving import NO_EXPERIMENT
from recommendations.models import Rule
from recommendations.serving import active_models, similar_items_for
from recommendations.views import render_feed

PAGE_SIZE = 24


def browse(request):
    form = BrowseForm(request.GET or None)
    # A bad value drops its own filter (the form says why), not the others.
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    result = selectors.item_search(
        query=data.get("q") or "",
        kind=data.get("kind") or "",
        genre=data.get("genre") or "",
        year_min=data.get("year_min"),
        year_max=data.get("year_max"),
        sort=data.get("sort") or "popular",
    )
    page = Paginator(result.items, PAGE_SIZE).get_page(request.GET.get("page"))
    # Page links keep the filters.
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "corrected": result.corrected, "query_string": query.urlencode()}
    return render(request, "catalog/browse.html", context)


def item_detail(request, pk):
    item = get_object_or_404(Item.objects.active().website().prefetch_related("genres"), pk=pk)
    member = request.user.pk if request.user.is_authenticated else None
    rec = _list_id(request.GET)
    if rec and member:
        engagements_note([(member, item.pk, Engagement.Kind.CLICK, timezone.now(), rec)])  # a card's click
    hidden = selectors.negative_item_pks(user=request.user)
    similar = [i for i in similar_items_for(item=item, limit=18) if i.pk not in hidden][:12]
    also = selectors.also_liked(item=item, exclude_pks=hidden)
    prefetch_related_objects(similar + also, "genres")
    model = active_models.get(item.workspace_id)
    shown = impression_record(
        workspace_id=item.workspace_id, user_id=member, placement=Rule.Placement.SIMILAR, choice=NO_EXPERIMENT,
        model_version_id=model.version_id if model else None, items=[i.pk for i in similar],
    )  # fmt: skip
    context = {
        "item": item,
        "tags": selectors.item_top_tags(item=item),
        "state": selectors.my_state(user=request.user, item=item),
        "similar": similar,
        "similar_rec": shown.recommendation_id,
        "also_liked": also,
        "rec": rec,
    }
    return render(request, "catalog/item.html", context)


def _list_id(data) -> str | None:
    """The id of the list an action came from (`rec`), when it is one."""
    value = data.get("rec", "")
    try:
        return str(uuid.UUID(value)) if value and len(value) <= 36 else None
    except ValueError:
        return None


def _note(request, item, kind: str | None) -> None:
    """Credit an action on the item to the list it was taken from (experiments.attribution)."""
    rec = _list_id(request.POST)
    if rec and kind:
        engagements_note([(request.user.pk, item.pk, kind, timezone.now(), rec)])


def _back(request, item, message: str):
    """Answer an action: the fragment htmx asked for, or a redirect to where the member was."""
    if request.headers.get("HX-Request"):
        if request.POST.get("return") == "feed":
            return render_feed(request, message=message)
        state = selectors.my_state(user=request.user, item=item)
        context = {"item": item, "state": state, "message": message, "rec": _list_id(request.POST)}
        return render(request, "catalog/_actions.html", context)
    messages.success(request, message)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("item", args=[item.pk])
    return redirect(target)


@require_POST
@login_required
def item_rate(request, pk):
    item = get_object_or_404(Item.objects.active().website(), pk=pk)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _back(request, item, "Choose from half a star to five stars.")
    value = form.cleaned_data["value"]
    rating_upsert(user=request.user, item=item, value=value)
    _note(request, item, Engagement.Kind.RATING if value >= LIKED_RATING else None)
    return _back(request, item, f"You rated {item.title} {stars(value)}")


@require_POST
@login_required
def item_unrate(request, pk):
    item = get_object_or_404(Item.objects.active().website(), pk=pk)
    removed = rating_delete(user=request.user, item=item)
    return _back(request, item, f"Removed your rating of {item.title}" if removed else f"{item.title} was not rated")


_DONE = {
    "like": "You like {}",
    "dislike": "You disliked {}: we will not suggest it again",
    "not_interested": "{} is hidden from your suggestions",
}
_UNDONE = {
    "like": "You no longer like {}",
    "dislike": "Removed your dislike of {}",
    "not_interested": "{} may be suggested again",
}


@require_POST
@login_required
def item_feedback(request, pk):
    item = get_object_or_404(Item.objects.active().website(), pk=pk)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return _back(request, item, "Unknown action.")
    kind, undo = form.cleaned_data["kind"], form.cleaned_data["undo"]
    if undo:
        interactions_undo(user=request.user, item=item, kinds=[kind])
        return _back(request, item, _UNDONE[kind].format(item.title))
    # Opposite opinions cancel: liking something once disliked takes the dislike back, and vice versa.
    opinion_set(user=request.user, item=item, kind=kind)
    _note(request, item, Engagement.Kind.LIKE if kind == "like" else None)
    return _back(request, item, _DONE[kind].format(item.title))
