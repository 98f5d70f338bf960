from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from api.serializers import HealthSerializer


@extend_schema(responses=HealthSerializer, auth=[], summary="Liveness check, no credentials needed")
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def health(request):
    # Public and free of database queries: load balancers and the benchmark call it.
    return Response({"status": "ok"})
