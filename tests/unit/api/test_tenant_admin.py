"""Admins manage members, operator groups and API tokens through the API."""

from __future__ import annotations

from rest_framework.test import APIClient

from workflow_platform.tenancy.models import ApiToken


def test_members_list_shows_only_the_callers_tenant(tenant_a, tenant_b, api_as, make_member):
    make_member(tenant_b, "viewer", username="bob-of-b")
    client = api_as(tenant_a, "viewer", username="ann-of-a")
    names = [m["username"] for m in client.get("/api/members/").json()["results"]]
    assert names == ["ann-of-a"]


def test_admin_adds_a_user_and_changes_the_role(tenant_a, api_as, django_user_model):
    django_user_model.objects.create_user(username="newcomer", password="x-pw-123456")
    client = api_as(tenant_a, "admin")
    created = client.post(
        "/api/members/", {"username": "newcomer", "role": "viewer"}, format="json"
    )
    assert created.status_code == 201
    changed = client.patch(
        f"/api/members/{created.json()['id']}/", {"role": "designer"}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["role"] == "designer"


def test_admin_creates_a_group_and_adds_a_member(tenant_a, api_as, make_member):
    make_member(tenant_a, "operator", username="op-1")
    make_member(tenant_a, "operator", username="op-2")
    client = api_as(tenant_a, "admin")
    group = client.post("/api/groups/", {"name": "reviewers", "members": ["op-1"]}, format="json")
    assert group.status_code == 201
    added = client.post(
        f"/api/groups/{group.json()['id']}/members/", {"username": "op-2"}, format="json"
    )
    assert added.json()["members"] == ["op-1", "op-2"]


def test_a_new_tokens_secret_is_shown_once_and_works(tenant_a, api_as):
    client = api_as(tenant_a, "admin")
    issued = client.post("/api/tokens/", {"name": "ci"}, format="json")
    assert issued.status_code == 201
    raw = issued.json()["token"]
    listed = client.get(f"/api/tokens/{issued.json()['id']}/").json()
    assert "token" not in listed
    assert raw.startswith(listed["prefix"])

    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert fresh.get("/api/members/").status_code == 200


def test_a_revoked_token_stops_working(tenant_a, api_as):
    client = api_as(tenant_a, "admin")
    issued = client.post("/api/tokens/", {"name": "short-lived"}, format="json").json()
    revoked = client.post(f"/api/tokens/{issued['id']}/revoke/")
    assert revoked.status_code == 200
    assert revoked.json()["active"] is False
    assert ApiToken.objects.for_tenant(tenant_a).get(pk=issued["id"]).revoked_at is not None
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {issued['token']}")
    assert fresh.get("/api/members/").status_code == 401


def test_only_admins_see_tokens(tenant_a, api_as):
    assert api_as(tenant_a, "operator").get("/api/tokens/").status_code == 403


def test_session_users_use_their_current_tenant(tenant_a, make_member, client):
    make_member(tenant_a, "viewer", username="browser-user")
    client.login(username="browser-user", password="pw-for-tests")
    response = client.get("/api/members/")
    assert response.status_code == 200
    assert [m["username"] for m in response.json()["results"]] == ["browser-user"]


def test_session_writes_need_the_csrf_token(tenant_a, make_member):
    from django.test import Client

    make_member(tenant_a, "admin", username="browser-admin")
    browser = Client(enforce_csrf_checks=True)
    browser.login(username="browser-admin", password="pw-for-tests")
    refused = browser.post("/api/tokens/", {"name": "x"}, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    browser.get("/")  # the UI hands out the CSRF cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        "/api/tokens/", {"name": "x"}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201
