"""Hostile request bodies and headers: nothing decodes with a byte codec, nothing answers 500."""

import io
import json
import logging
import zlib
from wsgiref.util import setup_testing_defaults

import pytest
from asgiref.sync import async_to_sync
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from api.parsers import MAX_DEPTH
from catalog.models import Interaction
from tests.factories import ItemFactory


def post_raw(partner, body: bytes, content_type: str, path="/api/v1/events/"):
    return partner.http.generic("POST", path, body, content_type=content_type)


def event_body(item) -> bytes:
    return json.dumps({"user": "zed", "item": item.pk, "kind": "view"}).encode()


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code and error["message"]


def call_wsgi(path: str, query: str, content_type: str, body: bytes = b"") -> tuple[str, dict, bytes]:
    """One request through config.wsgi.application, the entry point gunicorn serves."""
    from config.wsgi import application

    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": query, "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "HTTP_HOST": "testserver",
    }  # fmt: skip
    setup_testing_defaults(environ)
    started = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=status, headers=dict(headers))

    # As django.test.Client does: the handler must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        content = b"".join(application(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return started["status"], started["headers"], content


# --- Charsets ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_zlib_charset_is_refused_without_inflating_the_body(partner):
    item = ItemFactory()
    bomb = zlib.compress(event_body(item) + b" " * 5_000_000)  # ~5 KB that would inflate to 5 MB

    response = post_raw(partner, bomb, "application/json; charset=zlib")

    assert_error(response, 415, "unsupported_media_type")
    assert "UTF-8" in response.json()["error"]["message"]
    assert Interaction.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("charset", ["rot13", "base64", "utf-16", "latin-1", "no-such-charset"])
def test_json_in_any_charset_but_utf8_is_a_415(partner, charset):
    item = ItemFactory()
    body = event_body(item).decode().encode("utf-16") if charset == "utf-16" else event_body(item)

    response = post_raw(partner, body, f"application/json; charset={charset}")

    assert_error(response, 415, "unsupported_media_type")
    assert Interaction.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "utf8"])
def test_utf8_json_is_accepted_however_the_charset_is_spelled(partner, charset):
    item = ItemFactory()
    response = post_raw(partner, event_body(item), f"application/json; charset={charset}")
    assert response.status_code == 200, response.json()
    assert Interaction.objects.filter(item=item).count() == 1


@pytest.mark.django_db
def test_a_body_that_is_not_utf8_is_a_clear_400(partner):
    response = post_raw(partner, '{"user": "zoë"}'.encode("latin-1"), "application/json")
    assert_error(response, 400, "parse_error")
    assert "UTF-8" in response.json()["error"]["message"]


@pytest.mark.parametrize("path", ["/api/v1/events/", "/api/v1/me/events/"])
def test_an_unknown_charset_with_a_query_string_is_a_json_415_under_the_api(path):
    status, headers, content = call_wsgi(path, "user=1", "application/json; charset=rot13", b"{}")

    assert status.startswith("415")
    assert headers["Content-Type"] == "application/json"
    assert json.loads(content)["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize("charset", ["rot13", "zlib", "undefined"])
def test_a_website_form_with_a_byte_codec_charset_is_refused_not_a_500(charset):
    form = f"application/x-www-form-urlencoded; charset={charset}"
    status, headers, content = call_wsgi("/signup/", "next=/", form, b"username=a")

    assert status.startswith("415")
    assert headers["Content-Type"].startswith("text/plain")
    assert b"UTF-8" in content


def test_a_multipart_form_declaring_undefined_is_refused_even_without_a_query_string():
    status, _, _ = call_wsgi("/signup/", "", "multipart/form-data; boundary=x; charset=undefined", b"--x--")
    assert status.startswith("415")


def call_asgi(path: str, query: str, content_type: str) -> tuple[int, dict, bytes]:
    """One request through config.asgi.application, for servers that speak ASGI."""
    from asgiref.testing import ApplicationCommunicator

    from config.asgi import application

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", content_type.encode()), (b"content-length", b"2")],
        "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
    }  # fmt: skip

    async def exchange():
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input({"type": "http.request", "body": b"{}", "more_body": False})
        start = await communicator.receive_output(timeout=10)
        body = await communicator.receive_output(timeout=10)
        return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body["body"]

    return async_to_sync(exchange)()


def test_an_unknown_charset_with_a_query_string_is_refused_over_asgi_too():
    status, headers, content = call_asgi("/api/v1/events/", "user=1", "application/json; charset=rot13")

    assert status == 415
    assert headers["content-type"] == "application/json"
    assert json.loads(content)["error"]["code"] == "unsupported_media_type"


def test_ordinary_requests_pass_through_the_wsgi_entry_point():
    status, _, content = call_wsgi("/api/v1/nothing-here/", "a=%FF", "application/json; charset=utf-8", b"{}")
    assert status.startswith("404")
    assert json.loads(content)["error"]["code"] == "not_found"


# --- Nesting -------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000, 5000])
def test_deeply_nested_json_is_a_json_400(partner, depth):
    response = post_raw(partner, b"[" * depth + b"]" * depth, "application/json")

    assert_error(response, 400, "too_deep")
    assert str(MAX_DEPTH) in response.json()["error"]["message"]


@pytest.mark.django_db
def test_deeply_nested_objects_are_refused_too(partner):
    body = '{"a": ' * 5000 + "1" + "}" * 5000
    assert_error(post_raw(partner, body.encode(), "application/json"), 400, "too_deep")


@pytest.mark.django_db
def test_json_at_the_depth_limit_is_accepted(partner):
    item = ItemFactory()
    inner = MAX_DEPTH - 1  # the event object itself is the first level
    body = f'{{"user": "zed", "item": {item.pk}, "kind": "view", "note": {"[" * inner}{"]" * inner}}}'

    response = post_raw(partner, body.encode(), "application/json")

    assert response.status_code == 200, response.json()
    assert Interaction.objects.filter(item=item).count() == 1


# --- Unhandled errors ----------------------------------------------------------------------------


def _explode(**kwargs):
    raise RuntimeError("boom in ingestion")


@pytest.mark.django_db
def test_an_unhandled_error_under_the_api_answers_json_500_and_is_logged(partner, monkeypatch, caplog):
    monkeypatch.setattr("api.views.events.events_ingest", _explode)
    partner.http.raise_request_exception = False

    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = partner.post("/api/v1/events/", {"user": "zed", "item": ItemFactory().pk, "kind": "view"})

    assert_error(response, 500, "server_error")
    assert "boom" not in response.content.decode()  # no internals leak to the client
    logged = [r for r in caplog.records if r.name == "django.request" and r.exc_info]
    assert logged and "boom in ingestion" in str(logged[0].exc_info[1])


@pytest.mark.django_db
def test_the_website_keeps_its_html_error_page(monkeypatch):
    monkeypatch.setattr("accounts.views.render", _explode)
    client = Client(raise_request_exception=False)

    response = client.get("/signup/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert "Something went wrong" in response.content.decode()


@pytest.mark.django_db
def test_a_request_stopped_before_any_view_answers_json_400_under_the_api():
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/health/", HTTP_HOST="not-ours.example")
    assert_error(response, 400, "bad_request")
    assert client.get("/", HTTP_HOST="not-ours.example")["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_too_many_query_parameters_is_a_json_400(partner, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    partner.http.raise_request_exception = False
    response = partner.get("/api/v1/items/?" + "&".join(f"p{i}=1" for i in range(20)))
    assert_error(response, 400, "parse_error")
