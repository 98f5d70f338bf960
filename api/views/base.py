"""What every partner endpoint shares: key authentication, scopes, per-client throttles."""

from django.db.models import prefetch_related_objects
from rest_framework import generics
from rest_framework.exceptions import ValidationError

from api.authentication import ApiKeyAuthentication
from api.permissions import ReadOrWriteByMethod
from api.throttling import ClientRateThrottle, IngestionRateThrottle


class ClientView(generics.GenericAPIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [ReadOrWriteByMethod]
    throttle_classes = [ClientRateThrottle, IngestionRateThrottle]

    @property
    def client(self):
        return self.request.auth

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "client": self.request.auth}


def reject_empty_params(request, names) -> None:
    """django-filter and DRF's paginator read "?kind=" as "not given"; the schema calls it invalid."""
    errors = {}
    for name in names:
        for value in request.query_params.getlist(name):
            if value.strip() == "" or "" in (part.strip() for part in value.split(",")):
                errors[name] = ["Must not be empty; leave the parameter out instead."]
    if errors:
        raise ValidationError(errors)


def body_list(request, *, max_rows: int) -> tuple[list, bool]:
    """The request body as rows, and whether it was a single object."""
    data = request.data
    if isinstance(data, dict):
        return [data], True
    if not isinstance(data, list):
        raise ValidationError({"non_field_errors": ["Send one JSON object or a JSON array of objects."]})
    if not 1 <= len(data) <= max_rows:
        raise ValidationError({"non_field_errors": [f"Send 1 to {max_rows:,} rows per request, got {len(data):,}."]})
    return data, False


def with_item_relations(items) -> list:
    # Item output lists genres and tags: two queries for the whole page instead of two per item.
    items = list(items)
    prefetch_related_objects(items, "genres", "tags")
    return items
