"""JSON bodies up to MAX_BODY_BYTES.

DRF's JSONParser reads request.body, capped by Django's DATA_UPLOAD_MAX_MEMORY_SIZE
(2.5 MB, sized for web forms); a batch of 10,000 items is legitimately larger.
This parser reads the stream itself with the API's own cap and answers 413 above it.
"""

import codecs
import json

from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer

MAX_BODY_BYTES = 32 * 1024 * 1024


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = f"The request body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB; send smaller batches."
    default_code = "too_large"


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


class JSONBodyParser(BaseParser):
    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context.get("request")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        except ValueError:
            declared = 0
        if declared > MAX_BODY_BYTES:
            raise PayloadTooLarge()
        raw = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_BODY_BYTES:
            raise PayloadTooLarge()
        encoding = parser_context.get("encoding", "utf-8")
        try:
            text = codecs.decode(raw, encoding)
            return json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, LookupError) as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
