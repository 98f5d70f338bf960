"""Recommendations for a person: a partner's user through a key, or the logged-in website user.

This is the hottest path of the API, so its query parameters are checked by
hand (same rules as RecommendationQuerySerializer, which documents them) and a
current cached answer is returned as stored JSON bytes.
"""

import re

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import JSONRenderer

from api import feed_cache
from api.selectors import MAX_PK, items_visible_q, text_problem
from api.serializers import ItemSerializer
from api.views.base import with_item_relations
from catalog.models import Item
from recommendations.serving import active_model, feed_for_user

EXCLUDE = re.compile(r"[0-9]{1,19}(,[0-9]{1,19}){0,499}")
KINDS = frozenset(Item.Kind.values)


def recommendation_params(query_params, *, default_limit: int = 20) -> dict:
    params, errors = {"limit": default_limit}, {}
    if "limit" in query_params:
        raw = query_params["limit"]
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 100):
            errors["limit"] = ["An integer from 1 to 100."]
        else:
            params["limit"] = int(raw)
    if "kind" in query_params:
        if query_params["kind"] not in KINDS:
            errors["kind"] = [f"One of {', '.join(sorted(KINDS))}."]
        else:
            params["kind"] = query_params["kind"]
    if "genre" in query_params:
        genre = query_params["genre"]
        if not 1 <= len(genre) <= 64 or text_problem(genre):
            errors["genre"] = ["A genre name or slug, 1 to 64 characters."]
        else:
            params["genre"] = genre
    if "exclude" in query_params:
        if not EXCLUDE.fullmatch(query_params["exclude"]):
            errors["exclude"] = ["Comma-separated Encore item ids, at most 500."]
        else:
            params["exclude"] = query_params["exclude"]
    if errors:
        raise ValidationError(errors)
    return params


def recommendations_response(*, client, user: str | int, params: dict) -> HttpResponse:
    """Recommendations for a client's user (client None: a website user id), restricted to what the
    client may see; a cached answer is served while it is provably current (see api.feed_cache)."""
    loaded = active_model.get()
    version = loaded.version_id if loaded else None
    scope = f"client{client.pk}" if client is not None else "website"
    key = feed_cache.cache_key(scope=scope, user=user, model_version=version, params=params)
    entry = feed_cache.cache_entry(key)
    found = feed_cache.lookup(client_id=client.pk if client is not None else None, user=user, entry=entry)
    if found is None:
        raise NotFound("No such user.")
    if feed_cache.is_current(entry, found):
        return HttpResponse(entry["body"], content_type="application/json")
    started = timezone.now()
    # Serving needs only the user's id: an unsaved instance spares a query.
    payload = _compute(user=get_user_model()(pk=found.user_id), client=client, params=params, version=version)
    body = JSONRenderer().render(payload)
    item_ids = [result["item"]["id"] for result in payload["results"]]
    feed_cache.store(key, fingerprint=found.fingerprint, body=body, item_ids=item_ids, started_at=started)
    return HttpResponse(body, content_type="application/json")


def _compute(*, user, client, params: dict, version) -> dict:
    recommendations = feed_for_user(user=user, limit=params["limit"], item_filter=_item_filter(client, params))
    with_item_relations([r.item for r in recommendations])
    item_data = ItemSerializer([r.item for r in recommendations], many=True, context={"client": client}).data
    return {
        "model_version": version,
        "results": [
            {"item": data, "score": r.score, "reason": r.reason, "because": [b.pk for b in r.because]}
            for r, data in zip(recommendations, item_data, strict=True)
        ],
    }


def _item_filter(client, params: dict) -> Q:
    condition = items_visible_q(client=client)
    if params.get("kind"):
        condition &= Q(kind=params["kind"])
    if params.get("genre"):
        genre = params["genre"]
        condition &= Q(genres__name__iexact=genre) | Q(genres__slug=genre)
    if params.get("exclude"):
        excluded = {int(pk) for pk in params["exclude"].split(",")}
        condition &= ~Q(pk__in=[pk for pk in excluded if 0 < pk <= MAX_PK])
    return condition
