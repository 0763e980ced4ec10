"""Every API error is an RFC 9457 problem: the right status, a code and a message."""

from __future__ import annotations

import json

from django.test import override_settings
from rest_framework.test import APIClient

from workflow_platform.tenancy.models import Membership

PROBLEM = "application/problem+json"


def test_a_request_without_a_token_gets_401_with_a_bearer_challenge(db):
    response = APIClient().get("/api/members/")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"] == "Bearer"
    body = response.json()
    assert body["status"] == 401
    assert body["type"].startswith("urn:workflow-island:problem:")
    assert body["instance"] == "/api/members/"


def test_a_revoked_or_unknown_token_gets_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer wi_not-a-token")
    response = client.get("/api/members/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_malformed_input_gets_400_with_field_errors(tenant_a, api_as):
    response = api_as(tenant_a, "admin").post("/api/members/", {"role": "emperor"}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    errors = response.json()["errors"]
    assert set(errors) == {"username", "role"}


def test_the_detail_names_the_first_field_to_fix(tenant_a, api_as):
    response = api_as(tenant_a, "admin").post("/api/members/", {"role": "emperor"}, format="json")
    detail = response.json()["detail"]
    assert detail.startswith("The input is not valid: username: "), detail
    assert detail.endswith("(and 1 more in errors)"), detail


def test_a_bad_query_parameter_is_named_in_the_detail(tenant_a, api_as):
    response = api_as(tenant_a, "admin").get("/api/instances/?status=side%00ways")
    assert response.status_code == 400
    assert "status: " in response.json()["detail"], response.json()
    assert "\x00" not in response.json()["detail"]  # the hostile value is not echoed as is


def test_unparseable_json_gets_400(tenant_a, api_as):
    response = api_as(tenant_a).post("/api/members/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_a_platform_error_keeps_its_code_and_message(tenant_a, api_as):
    response = api_as(tenant_a).post(
        "/api/members/", {"username": "nobody-at-all", "role": "viewer"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_user"
    assert "nobody-at-all" in response.json()["detail"]


def test_a_role_that_does_not_allow_it_gets_403(tenant_a, api_as):
    response = api_as(tenant_a, "viewer").post(
        "/api/members/", {"username": "x", "role": "viewer"}, format="json"
    )
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM


def test_another_tenants_object_is_404_exactly_like_a_missing_one(
    tenant_a, tenant_b, api_as, make_member
):
    theirs = Membership.objects.for_tenant(tenant_a).get(user=make_member(tenant_a))
    client = api_as(tenant_b, "admin")
    other = client.get(f"/api/members/{theirs.pk}/")
    missing = client.get("/api/members/987654/")
    assert other.status_code == missing.status_code == 404
    assert {**other.json(), "instance": ""} == {**missing.json(), "instance": ""}


@override_settings(WORKFLOW_API_RATE="3/min")
def test_a_token_that_goes_too_fast_gets_429_with_retry_after(tenant_a, api_as):
    client = api_as(tenant_a, "viewer")  # a fresh token: its own, empty count
    statuses = [client.get("/api/members/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/members/")
    assert response["Content-Type"] == PROBLEM
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another token has its own budget.
    assert api_as(tenant_a, "viewer").get("/api/members/").status_code == 200


def _break_the_instance_list(monkeypatch):
    from workflow_platform.api.instances import InstanceViewSet

    def explode(self, request, *args, **kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(InstanceViewSet, "list", explode)


def test_a_bug_in_a_view_is_a_500_problem_that_leaks_nothing(tenant_a, api_as, monkeypatch, caplog):
    _break_the_instance_list(monkeypatch)
    client = api_as(tenant_a, "viewer")
    client.raise_request_exception = False  # answer like production instead of re-raising
    response = client.get("/api/instances/")
    assert response.status_code == 500
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert (body["status"], body["code"], body["instance"]) == (
        500,
        "server_error",
        "/api/instances/",
    )
    assert "hunter2" not in response.content.decode()
    assert "RuntimeError" not in response.content.decode()
    (logged,) = [r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR"]
    assert logged.exc_info and "hunter2" in str(logged.exc_info[1])


def test_a_bug_in_a_view_still_reaches_error_reporters(tenant_a, api_as, monkeypatch):
    import pytest

    _break_the_instance_list(monkeypatch)
    with pytest.raises(RuntimeError):  # the test client listens to got_request_exception
        api_as(tenant_a, "viewer").get("/api/instances/")


def test_the_500_handler_answers_api_paths_with_a_problem_and_others_with_html(rf):
    from workflow_platform.api.exceptions import server_error

    api = server_error(rf.get("/api/instances/"))
    assert (api.status_code, api["Content-Type"]) == (500, PROBLEM)
    assert json.loads(api.content)["code"] == "server_error"
    page = server_error(rf.get("/inbox/"))
    assert page.status_code == 500
    assert page["Content-Type"].startswith("text/html")


def test_the_project_urlconf_uses_that_500_handler():
    # So a crash outside the views (in a middleware) is a problem under /api/ too.
    from django.urls import get_resolver

    from workflow_platform.api.exceptions import server_error

    assert get_resolver().resolve_error_handler(500) is server_error


def test_an_unknown_url_under_api_is_a_404_problem(tenant_a, api_as):
    cases = [(APIClient(), "/api/nothing-here/")] + [
        (api_as(tenant_a, "viewer"), path)
        for path in ("/api/nothing-here/", "/api/instances/abc/", "/api/instances/1/explode/")
    ]
    for client, path in cases:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == PROBLEM
        assert (response.json()["code"], response.json()["instance"]) == ("not_found", path)


def test_a_method_an_operation_does_not_have_is_a_405_problem(tenant_a, api_as):
    response = api_as(tenant_a, "admin").delete("/api/instances/")
    assert response.status_code == 405
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_a_body_that_is_not_json_is_a_415_problem(tenant_a, api_as):
    response = api_as(tenant_a, "admin").post(
        "/api/tokens/", "name=ci", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "unsupported_media_type"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_larger_than_the_server_accepts_is_a_413_problem(tenant_a, api_as):
    response = api_as(tenant_a, "designer").post(
        "/api/definitions/import/", {"format": "yaml", "text": "x" * 2000}, format="json"
    )
    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "request_too_large"
