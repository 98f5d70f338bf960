"""JSON bodies: UTF-8 only, at most MAX_BODY_BYTES, at most MAX_DEPTH levels deep.

DRF's JSONParser reads request.body, capped by Django's DATA_UPLOAD_MAX_MEMORY_SIZE
(2.5 MB, sized for web forms); a batch of 10,000 items is legitimately larger.
This parser reads the stream itself with the API's own cap and answers 413 above it.

The declared charset is never handed to a codec: Python's codec registry also
holds zlib, bz2, base64 and rot13, and `charset=zlib` would inflate a small body
into a huge one. JSON exchanged between systems is UTF-8 (RFC 8259), so any other
charset is a 415.
"""

import codecs
import json

from django.utils.http import parse_header_parameters
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer

MAX_BODY_BYTES = 32 * 1024 * 1024
# Every payload the API documents is a list of objects holding small lists and objects;
# a deeper body is a mistake or an attack on the recursive parser and on whatever walks it next.
MAX_DEPTH = 32
UTF8_NAMES = {"utf-8", "utf-8-sig"}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = f"The request body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB; send smaller batches."
    default_code = "too_large"


class TooDeep(exceptions.ParseError):
    default_detail = f"JSON nested more than {MAX_DEPTH} levels deep."
    default_code = "too_deep"


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _check_charset(media_type: str | None) -> None:
    charset = parse_header_parameters(media_type or "")[1].get("charset")
    if charset is None:
        return
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        name = None
    if name not in UTF8_NAMES:
        raise exceptions.UnsupportedMediaType(
            media_type, detail=f"JSON must be sent as UTF-8; charset={charset[:40]} is not supported."
        )


def _check_depth(data) -> None:
    """Iterative, so a deep value cannot exhaust the stack here either."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > MAX_DEPTH:
                    raise TooDeep()
                stack.append((child, depth + 1))


def _read_capped(stream, request) -> bytes:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    raw = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    return raw


class JSONBodyParser(BaseParser):
    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        _check_charset(media_type)
        raw = _read_capped(stream, (parser_context or {}).get("request"))
        try:
            # utf-8-sig tolerates the byte-order mark RFC 8259 lets parsers ignore.
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError(f"JSON parse error - the body is not valid UTF-8: {exc}") from exc
        # UTF-8 never yields more characters than bytes; the cap stays true if another charset is ever allowed.
        if len(text) > MAX_BODY_BYTES:
            raise PayloadTooLarge()
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError as exc:
            raise TooDeep() from exc
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
        _check_depth(data)
        return data
