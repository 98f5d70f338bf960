from rest_framework.metadata import BaseMetadata


class MinimalMetadata(BaseMetadata):
    """OPTIONS answers name and description; the OpenAPI schema is the real description of the API."""

    def determine_metadata(self, request, view):
        return {"name": view.get_view_name(), "description": view.get_view_description(), "schema": "/api/schema/"}
