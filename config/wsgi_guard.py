"""Refuse a request whose declared charset no text codec can honour, before Django builds it.

Django adopts any `charset=` that Python's codec registry knows, and the registry
also holds byte transforms (zlib, base64, rot13...) and the `undefined` codec.
Building request.GET with one of those raises outside every middleware, so the
server answers a bare 500. Such a request has no legitimate use: it gets a 415
here, in the API's JSON error shape under /api/ and as plain text elsewhere.
"""

import json

from django.utils.http import parse_header_parameters


def _charset_problem(environ) -> str | None:
    try:
        charset = parse_header_parameters(environ.get("CONTENT_TYPE", ""))[1].get("charset")
    except ValueError:
        return None  # a header Django cannot parse carries no charset for it to adopt either
    if charset is None:
        return None
    # Django decodes the query string with the declared charset before any view runs, and form
    # fields with it later; a short ASCII sample stands for the fields.
    query = environ.get("QUERY_STRING", "").encode("iso-8859-1", "replace")
    for sample in (b"a=1", query):
        try:
            sample.decode(charset)  # bytes.decode refuses non-text codecs with LookupError
        except UnicodeDecodeError:
            pass  # Django handles bytes a real charset cannot decode (ISO-8859-1 fallback, 400)
        except Exception:  # LookupError, and UnicodeError from `undefined`
            return f"Unsupported charset {charset[:40]!r}; send UTF-8."
    return None


def _refusal(environ, message: str) -> tuple[str, bytes]:
    if environ.get("PATH_INFO", "").startswith("/api/"):
        error = {"code": "unsupported_media_type", "message": message, "details": None}
        return "application/json", json.dumps({"error": error}).encode()
    return "text/plain; charset=utf-8", message.encode()


def refuse_undecodable_charsets(application):
    """Wrap a WSGI application."""

    def guarded(environ, start_response):
        problem = _charset_problem(environ)
        if problem is None:
            return application(environ, start_response)
        content_type, body = _refusal(environ, problem)
        start_response(
            "415 Unsupported Media Type", [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        )
        return [body]

    return guarded


def refuse_undecodable_charsets_asgi(application):
    """Wrap an ASGI application: Django's ASGI requests adopt the charset the same way."""

    async def guarded(scope, receive, send):
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            environ = {
                "CONTENT_TYPE": headers.get(b"content-type", b"").decode("latin-1"),
                "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
                "PATH_INFO": scope.get("path", ""),
            }
            problem = _charset_problem(environ)
            if problem is not None:
                content_type, body = _refusal(environ, problem)
                start = {"type": "http.response.start", "status": 415}
                start["headers"] = [(b"content-type", content_type.encode()), (b"content-length", b"%d" % len(body))]
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
        await application(scope, receive, send)

    return guarded
