"""Branded error pages: 404 for a missing id and for another tenant's object alike, 403,
a 500 page that renders with no database, and a favicon so no page logs a 404."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import include, path
from django.views import defaults

from tests.unit.inbox.conftest import make_task  # noqa: F401 - fixture

pytestmark = pytest.mark.urls("tests.unit.test_error_pages")


def refuse(request):
    raise PermissionDenied("Only admins.")


def crash(request):
    raise RuntimeError("secret internals")


urlpatterns = [
    path("test-only/refuse/", refuse),
    path("test-only/crash/", crash),
    path("", include("workflow_platform.urls")),
]
handler500 = "workflow_platform.api.exceptions.server_error"


def branded(response, status: int) -> str:
    body = response.content.decode()
    assert response.status_code == status
    assert 'data-testid="error-page"' in body
    assert "Workflow Island" in body and "favicon.svg" in body
    return body


@pytest.fixture
def signed_in(client, tenant_a, make_member):
    client.force_login(make_member(tenant_a, role="admin", username="ada"))
    return client


def test_a_missing_id_is_the_branded_404(signed_in):
    for path_ in (
        "/inbox/tasks/999999/",
        "/operations/instances/999999/",
        "/designer/versions/999999/",
        "/no/such/page/",
    ):
        body = branded(signed_in.get(path_), 404)
        assert "Not found" in body and 'href="/inbox/"' in body


def test_another_tenants_objects_are_the_same_branded_404(signed_in, tenant_b, make_task):  # noqa: F811
    foreign = make_task(tenant_b)
    for path_ in (
        f"/inbox/tasks/{foreign.pk}/",
        f"/operations/instances/{foreign.instance_id}/",
        f"/designer/versions/{foreign.instance.version_id}/",
    ):
        body = branded(signed_in.get(path_), 404)
        assert "Not found" in body
        assert foreign.title not in body and "Tenant B" not in body


def test_the_404_page_of_someone_signed_out_offers_home_only(client, db):
    body = branded(client.get("/no/such/page/"), 404)
    assert 'href="/inbox/"' not in body


def test_a_refusal_is_the_branded_403(signed_in):
    body = branded(signed_in.get("/test-only/refuse/"), 403)
    assert "Not allowed" in body and "Admin in Tenant A" in body


def test_a_crash_is_the_branded_500_page(signed_in):
    signed_in.raise_request_exception = False
    body = branded(signed_in.get("/test-only/crash/"), 500)
    assert "Something went wrong" in body and "secret internals" not in body


def test_the_500_page_renders_without_the_database():
    # No ``db`` fixture: pytest-django fails any query, as a database that is down would.
    request = RequestFactory().get("/inbox/")
    body = branded(defaults.server_error(request), 500)
    assert "Something went wrong" in body


def test_favicon_is_linked_and_favicon_ico_answers(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301 and answer["Location"] == "/static/favicon.svg"


def test_a_form_posted_without_its_csrf_token_is_the_branded_expired_page(db):
    client = Client(enforce_csrf_checks=True)
    answer = client.post("/accounts/login/", {"username": "x", "password": "y"})
    body = branded(answer, 403)
    assert "This form has expired" in body and "Nothing was changed" in body


def test_opening_a_post_only_page_address_is_the_branded_405(signed_in):
    body = branded(signed_in.get("/operations/instances/7/suspend"), 405)
    assert "a button, not a page" in body


def test_the_api_keeps_its_problem_for_a_wrong_method(signed_in):
    response = signed_in.delete("/api/definitions/import/")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
