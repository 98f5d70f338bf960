"""OpenAPI details drf-spectacular cannot infer: the key header and the shared error responses."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension

from api.serializers import MAX_BATCH

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "not_found"},
                "message": {"type": "string", "example": "No such item."},
                "details": {"description": "Messages by field for invalid input, otherwise null or an object."},
            },
            "required": ["code", "message", "details"],
        }
    },
    "required": ["error"],
}

# Any operation may answer these; the error body is always the same shape.
ERROR_RESPONSES = {
    "400": "Invalid input: `details` holds messages by field.",
    "401": "Missing, unknown or revoked credentials.",
    "403": "The credentials lack the scope this operation needs.",
    "404": "No such object, or it belongs to another client.",
    "405": "Method not allowed.",
    "406": "Only application/json responses are available.",
    "413": "The request body is too large (32 MB at most): send smaller batches.",
    "415": "Send application/json.",
    "429": "Too many requests: wait `Retry-After` seconds.",
}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`; create a key with `python manage.py create_api_client NAME`.",
        }


class OneOrManyExtension(OpenApiSerializerExtension):
    target_class = "api.serializers.OneOrMany"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        row = auto_schema.resolve_serializer(self.target.row_serializer, direction).ref
        return {"oneOf": [row, {"type": "array", "items": row, "minItems": 1, "maxItems": MAX_BATCH}]}


def add_error_responses(result, generator, request, public):
    """Postprocessing hook: document the shared error shape on every /api/v1/ operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                responses.setdefault(code, {"description": description, "content": content})
            responses["429"]["headers"] = {
                "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}
            }
    return result
