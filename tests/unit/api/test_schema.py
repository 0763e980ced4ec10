"""The OpenAPI schema describes every operation: summary, bodies, examples, problems."""

from __future__ import annotations

import pytest
import yaml
from rest_framework.test import APIClient


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", method, operation


def test_the_schema_and_its_interactive_docs_are_served_without_a_token(schema):
    assert schema["openapi"].startswith("3.")
    assert APIClient().get("/api/docs/").status_code == 200
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_interactive_docs_load_swagger_ui_from_our_own_static_files(db):
    # The platform runs without internet access: a CDN script would leave the page blank.
    page = APIClient().get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn." not in page and "jsdelivr" not in page


def test_every_operation_has_a_summary_and_documents_its_problems(schema):
    for name, _, operation in operations(schema):
        assert operation.get("summary"), f"{name} has no summary"
        responses = operation["responses"]
        for status in ("400", "401", "403", "404", "429", "default"):
            content = responses[status]["content"]
            assert list(content) == ["application/problem+json"], f"{name} {status}"


def test_every_request_body_has_an_example(schema):
    for name, method, operation in operations(schema):
        body = operation.get("requestBody")
        if method in ("post", "put", "patch") and body:
            media = body["content"]["application/json"]
            assert media.get("examples"), f"{name} has no request example"


def test_conflict_and_validation_statuses_are_documented_where_they_happen(schema):
    paths = schema["paths"]
    assert {"412", "428"} <= set(paths["/api/versions/{id}/"]["put"]["responses"])
    assert "428" not in paths["/api/versions/{id}/"]["get"]["responses"]
    (if_match,) = [
        p for p in paths["/api/versions/{id}/"]["put"]["parameters"] if p["in"] == "header"
    ]
    assert (if_match["name"], if_match["required"]) == ("If-Match", True)
    assert "422" in paths["/api/versions/{id}/publish/"]["post"]["responses"]
    assert "409" in paths["/api/instances/"]["post"]["responses"]
    assert "409" in paths["/api/tasks/{id}/claim/"]["post"]["responses"]
