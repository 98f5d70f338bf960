"""One error shape for every failure: {"error": {"code", "message", "details"}}.

Clients can branch on `code`, show `message` to a developer, and find field
by field problems in `details`. An error no view handled still answers in this
shape under /api/ (server_error and bad_request below serve as Django's
handler500 and handler400), while the website keeps its HTML pages.
"""

from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from api.parsers import PayloadTooLarge
from core.quotas import QuotaExceeded


def api_exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    if isinstance(exc, QuotaExceeded):
        exc = exceptions.PermissionDenied(str(exc), code="quota_exceeded")
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, (BadRequest, SuspiciousOperation)):
        # e.g. more query parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS: the client's mistake, not ours.
        exc = exceptions.ParseError(str(exc) or "Bad request.")
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django logs it with its traceback, then server_error answers
    code, message, details = _describe(exc, response)
    response.data = {"error": {"code": code, "message": message, "details": details}}
    return response


def _describe(exc, response):
    if isinstance(exc, Http404):
        return "not_found", "Not found.", None
    if isinstance(exc, PermissionDenied):
        return "permission_denied", "You do not have permission to perform this action.", None
    if isinstance(exc, exceptions.ValidationError):
        return "invalid", _first_message(exc.detail) or "Invalid input.", exc.detail
    if isinstance(exc, exceptions.Throttled):
        return "throttled", str(exc.detail), {"retry_after": exc.wait}
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        detail = exc.detail
        return code, str(detail) if not isinstance(detail, (dict, list)) else _first_message(detail), None
    return "error", str(exc), None


def _first_message(detail) -> str:
    """The first human message in a nested DRF error structure, prefixed with its field."""
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = _first_message(value)
            if message:
                return message if field == "non_field_errors" else f"{field}: {message}"
    elif isinstance(detail, list):
        for value in detail:
            message = _first_message(value)
            if message:
                return message
    elif detail:
        return str(detail)
    return ""


def error_response(code: str, message: str, *, status_code=status.HTTP_400_BAD_REQUEST, details=None) -> Response:
    return Response({"error": {"code": code, "message": message, "details": details}}, status=status_code)


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def _json_error(code: str, message: str, status_code: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "details": None}}, status=status_code)


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """Django's handler500: JSON under /api/, the website's page elsewhere (Django has logged the error)."""
    if _is_api(request):
        return _json_error("server_error", "Something went wrong on our side; it has been logged.", 500)
    return defaults.server_error(request, template_name)


def bad_request(request, exception, template_name=defaults.ERROR_400_TEMPLATE_NAME):
    """Django's handler400 (a suspicious request stopped before any view): JSON under /api/."""
    if _is_api(request):
        return _json_error("bad_request", "The request is malformed.", 400)
    return defaults.bad_request(request, exception, template_name)
