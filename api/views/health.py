from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.workspaces import default_workspace_id
from recommendations.loading import active_models


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "degraded"])
    reason = serializers.CharField(required=False, help_text="Why the status is degraded.")


@extend_schema(
    responses=HealthSerializer,
    auth=[],
    summary="Health check, no credentials needed",
    description='"degraded" (still HTTP 200, so load balancers keep sending traffic) when this process cannot '
    "serve the model it should, e.g. a broken artifact; `reason` says why.",
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def health(request):
    # Public and cheap: the model state is looked up at most every few seconds per process, and the
    # first call of a fresh process loads the model, so a broken artifact shows at once after a reload.
    # The website's workspace stands for the process: other workspaces' models load on their first use.
    problem = active_models.health(default_workspace_id())
    return Response({"status": "degraded", "reason": problem} if problem else {"status": "ok"})
