"""Recommendations for a person: a partner's user through a key, or the logged-in website user.

This is the hottest path of the API: its query parameters are validated by the
serializer the schema documents (RecommendationQuerySerializer), and a current
cached answer (see recommendations.feed_cache) is returned as stored JSON bytes.

Every answer is a list shown: it gets its own `recommendation_id` and is recorded
(experiments.recording), with the `variant` of the workspace's running experiment that
served it (experiments.serving; "control" when none runs). A person of a candidate
variant is ranked by that candidate's model.
"""

import json

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import HttpResponse
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer

from api.models import ClientUser
from api.selectors import items_visible_q
from api.serializers import ItemSerializer
from api.views.base import with_item_relations
from core.workspaces import default_workspace_id
from experiments.recording import impression_record
from experiments.serving import Choice, choose, running_experiments
from recommendations.feed_cache import Person, feed_cached
from recommendations.models import Rule
from recommendations.serving import feed_for_user


def recommendations_response(*, client, user: str | int, params: dict) -> HttpResponse:
    """Recommendations for a client's user (client None: a website user id), restricted to what the
    client may see; a cached answer is served while it is provably current."""
    workspace = default_workspace_id() if client is None else client.workspace_id
    if client is None:
        person, scope = Person(user_id=user), "me"
    else:
        person = Person(identity=ClientUser, match=(("workspace_id", client.workspace_id), ("external_id", user)))
        scope = f"client{client.pk}"

    default = Rule.Placement.ME_FEED if client is None else Rule.Placement.API_RECOMMENDATIONS
    placement = params.get("placement", default)

    def build(*, user_id: int, version: int | None) -> tuple[dict, list[int]]:
        choice = choose(workspace_id=workspace, user_id=user_id)
        served_by = choice.version_id or version
        # Serving needs only the user's id: an unsaved instance spares a query.
        payload = _compute(
            user=get_user_model()(pk=user_id), workspace=workspace, client=client, params=params,
            placement=placement, version=served_by, candidate=choice.version_id,
        )  # fmt: skip
        items = [result["item"]["id"] for result in payload["results"]]
        value = {"body": JSONRenderer().render(payload), "items": items, "user": user_id, "version": served_by,
                 "experiment": choice.experiment_id, "variant": choice.variant}  # fmt: skip
        return value, items

    # A list made before an experiment started or stopped is not served after it.
    running = running_experiments.get(workspace)
    keyed = {**params, "experiment": running.experiment_id if running else None}
    value = feed_cached(person=person, workspace=workspace, scope=scope, params=keyed, build=build)
    if value is None:
        raise NotFound("No such user.")
    shown = impression_record(
        workspace_id=workspace, user_id=value["user"], placement=placement,
        choice=Choice(value["experiment"], value["variant"]), model_version_id=value["version"], items=value["items"],
    )  # fmt: skip
    head = json.dumps({"recommendation_id": shown.recommendation_id, "variant": shown.variant}).encode()
    return HttpResponse(head[:-1] + b", " + value["body"][1:], content_type="application/json")


def _compute(*, user, workspace: int, client, params: dict, placement: str, version, candidate) -> dict:
    recommendations = feed_for_user(
        user=user, workspace=workspace, limit=params["limit"], item_filter=_item_filter(client, params),
        placement=placement, diversity=params.get("diversity"), version=candidate,
    )  # fmt: skip
    with_item_relations([r.item for r in recommendations])
    item_data = ItemSerializer([r.item for r in recommendations], many=True, context={"client": client}).data
    return {
        "model_version": version,
        "results": [
            {"item": data, "score": r.score, "reason": r.reason, "because": [b.pk for b in r.because], "rule": r.rule}
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
        condition &= ~Q(pk__in=params["exclude"])
    return condition
