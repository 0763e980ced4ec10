"""Numbers in URLs, headers and bodies: odd digits and huge ids are a 400, never a 500."""

from __future__ import annotations

import base64

import pytest

from workflow_platform.api.numbers import MAX_ID, whole_number

from .conftest import APPROVAL

HUGE = "99999999999999999999999"
PROBLEM = "application/problem+json"


@pytest.fixture
def admin(tenant_a, api_as, published):
    published(tenant_a, APPROVAL)
    return api_as(tenant_a, "admin")


def assert_400_naming(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    assert field in response.json().get("errors", {}) or response.json()["code"].startswith("bad_")


@pytest.mark.parametrize("raw", ["²", "١٢", "12 ", "-1", "", HUGE, "1" * 5000])
def test_only_ascii_digits_in_range_are_whole_numbers(raw):
    assert whole_number(raw) is None


def test_whole_numbers_keep_their_bounds():
    assert whole_number("0") == 0
    assert whole_number(str(MAX_ID)) == MAX_ID
    assert whole_number(str(MAX_ID + 1)) is None
    assert whole_number("7", minimum=1, maximum=5) is None


@pytest.mark.parametrize("limit", ["²", "١٢"])
def test_a_page_size_in_unicode_digits_is_a_400(admin, limit):
    for path in ("/api/instances/", "/api/versions/", "/api/tokens/"):
        assert_400_naming(admin.get(path, {"limit": limit}), "limit")


def test_a_task_if_match_in_unicode_digits_is_a_400(admin, run_worker):
    admin.post("/api/instances/", {"definition": "approval", "data": {}}, format="json")
    run_worker()
    (task,) = admin.get("/api/tasks/", {"view": "all"}).json()["results"]
    for etag in ("²", '"²"', 'W/"١"', HUGE + "0"):
        response = admin.post(f"/api/tasks/{task['id']}/claim/", HTTP_IF_MATCH=etag)
        assert_400_naming(response, "If-Match")


def test_a_diff_against_unicode_digits_is_a_400(admin):
    version = admin.get("/api/versions/").json()["results"][0]
    response = admin.get(f"/api/versions/{version['id']}/diff/", {"against": "²"})
    assert response.status_code == 400
    assert response.json()["code"] == "bad_against"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/instances/", "version"),
        ("/api/versions/", "definition"),
        ("/api/versions/", "number"),
        ("/api/webhook-deliveries/", "subscription"),
    ],
)
@pytest.mark.parametrize("value", [HUGE, "-" + HUGE, "0", "²"])
def test_an_id_filter_out_of_range_is_a_400(admin, path, field, value):
    assert_400_naming(admin.get(path, {field: value}), field)


def test_ids_in_bodies_beyond_64_bits_are_a_400(admin):
    definition = admin.get("/api/definitions/").json()["results"][0]
    drafted = admin.post(
        f"/api/definitions/{definition['id']}/drafts/", {"from_version": int(HUGE)}, format="json"
    )
    assert_400_naming(drafted, "from_version")
    migrated = admin.post(
        "/api/instances/migrate/", {"instances": [int(HUGE)], "to_version": 1}, format="json"
    )
    assert_400_naming(migrated, "instances")
    migrated = admin.post(
        "/api/instances/migrate/", {"instances": [1], "to_version": int(HUGE)}, format="json"
    )
    assert_400_naming(migrated, "to_version")


@pytest.mark.parametrize("position", ["²", HUGE + "x", "not-a-time"])
def test_a_made_up_cursor_is_an_invalid_cursor_not_a_500(admin, position):
    cursor = base64.b64encode(f"p={position}".encode()).decode()
    for path, ordering in (("/api/instances/", "-id"), ("/api/instances/", "created_at")):
        response = admin.get(path, {"cursor": cursor, "ordering": ordering})
        assert response.status_code == 404, (path, ordering, response.content)
        assert response["Content-Type"] == PROBLEM
