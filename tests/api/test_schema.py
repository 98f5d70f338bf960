import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_the_schema_is_openapi_3_and_lists_the_contract_paths(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/v1/health/", "/api/v1/items/", "/api/v1/items/{id}/", "/api/v1/items/{id}/similar/",
        "/api/v1/events/", "/api/v1/users/{user}/recommendations/", "/api/v1/users/{user}/",
        "/api/v1/trending/", "/api/v1/me/feed/",
    } <= set(schema["paths"])  # fmt: skip
    assert schema["components"]["securitySchemes"]["ApiKey"]["name"] == "Authorization"
    events = schema["paths"]["/api/v1/events/"]["post"]["responses"]
    assert {"200", "207", "400", "401", "429"} <= set(events)


def test_the_docs_load_nothing_from_a_cdn(client):
    # Swagger UI only: drf-spectacular's ReDoc page pulls fonts from Google, so it is not served.
    page = client.get("/api/docs/").content.decode()
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page)
    urls += re.findall(r"""["'](https?://[^"']+|//[^"']+)["']""", page)
    assert urls, "the page should load its scripts"
    for url in urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/").split("?")[0]), f"missing static file {url}"
