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


def test_every_operation_has_its_own_description_not_a_class_docstring(schema):
    import inspect

    from workflow_platform.api import urls

    docstrings = {
        inspect.cleandoc(cls.__doc__)
        for _, viewset, _ in urls.router.registry
        for cls in viewset.__mro__
        if cls.__doc__
    }
    seen = {}
    for name, _, operation in operations(schema):
        description = operation.get("description", "")
        assert description, f"{name} has no description"
        assert description not in docstrings, f"{name} is described by a class docstring"
        assert description not in seen, f"{name} and {seen.get(description)} share a description"
        seen[description] = name


MAIN_ANSWERS = [
    ("/api/instances/", "post", "201", "Instance"),
    ("/api/instances/{id}/", "get", "200", "Instance"),
    ("/api/tasks/", "get", "200", "HumanTask"),
    ("/api/tasks/{id}/complete/", "post", "200", "HumanTask"),
    ("/api/versions/{id}/", "get", "200", "Version"),
]


@pytest.mark.parametrize(("path", "method", "status", "component"), MAIN_ANSWERS)
def test_the_main_operations_show_a_success_example_with_every_field(
    schema, path, method, status, component
):
    media = schema["paths"][path][method]["responses"][status]["content"]["application/json"]
    (example,) = media["examples"].values()
    value = example["value"]
    if "results" in value:  # a list: drf-spectacular wraps the item in a page
        assert set(value) == {"next", "previous", "results"}
        (value,) = value["results"]
    fields = schema["components"]["schemas"][component]["properties"]
    assert set(value) == set(fields), path


def test_orderings_are_enums_of_the_listed_fields(schema):
    (ordering,) = [
        p
        for p in schema["paths"]["/api/instances/"]["get"]["parameters"]
        if p["name"] == "ordering"
    ]
    assert {"id", "-id", "priority", "-priority"} <= set(ordering["schema"]["enum"])
    history = schema["paths"]["/api/instances/{id}/history/"]["get"]["parameters"]
    assert {"type", "after_seq", "created_after", "ordering"} <= {p["name"] for p in history}
    tokens = schema["paths"]["/api/tokens/"]["get"]["parameters"]
    assert {"username", "active", "ordering"} <= {p["name"] for p in tokens}


def test_cancel_takes_a_json_boolean_compensate_and_a_bounded_reason(schema):
    body = schema["components"]["schemas"]["CancelRequest"]["properties"]
    assert body["compensate"]["type"] == "boolean"
    assert body["compensate"]["default"] is False
    assert body["reason"]["maxLength"] == 500
    operation = schema["paths"]["/api/instances/{id}/cancel/"]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert any(example["value"].get("compensate") is True for example in examples.values())


def test_the_tenants_endpoint_is_by_slug_and_patches_one_json_boolean(schema):
    assert set(schema["paths"]["/api/tenants/{slug}/"]) == {"get", "patch"}
    body = schema["components"]["schemas"]["PatchedTenantUpdateRequest"]
    assert body["properties"]["allow_private_network"]["type"] == "boolean"
    assert "/api/tenants/{slug}/changes/" in schema["paths"]
