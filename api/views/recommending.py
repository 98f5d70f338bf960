"""Recommendations for a person: a partner's user through a key, or the logged-in website user."""

from django.db.models import Q

from api.selectors import MAX_PK, items_visible_q
from api.serializers import ItemSerializer
from api.views.base import with_item_relations
from recommendations.serving import active_model, feed_for_user


def recommendations_for(*, user, client, params: dict) -> dict:
    """Serve `user`'s feed restricted to what `client` may see and the caller's filters."""
    recommendations = feed_for_user(user=user, limit=params["limit"], item_filter=_item_filter(client, params))
    with_item_relations([r.item for r in recommendations])
    loaded = active_model.get()
    item_data = ItemSerializer([r.item for r in recommendations], many=True, context={"client": client}).data
    return {
        "model_version": loaded.version_id if loaded else None,
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
