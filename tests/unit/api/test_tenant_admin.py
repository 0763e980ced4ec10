"""Admins manage members, operator groups and API tokens through the API."""

from __future__ import annotations

from rest_framework.test import APIClient

from workflow_platform.tenancy.models import ApiToken, Membership


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


def test_adding_someone_who_is_a_member_already_is_a_409_and_changes_nothing(
    tenant_a, api_as, make_member
):
    make_member(tenant_a, "designer", username="dana")
    client = api_as(tenant_a, "admin")
    again = client.post(
        "/api/members/", {"username": "dana", "role": "admin", "skills": ["x"]}, format="json"
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_a_member"
    (dana,) = client.get("/api/members/", {"role": "designer"}).json()["results"]
    assert (dana["username"], dana["role"], dana["skills"]) == ("dana", "designer", [])


def test_a_user_of_another_tenant_cannot_be_added_and_looks_like_nobody(
    tenant_a, tenant_b, api_as, make_member
):
    make_member(tenant_b, "viewer", username="bob-of-b")
    client = api_as(tenant_a, "admin")
    elsewhere = client.post(
        "/api/members/", {"username": "bob-of-b", "role": "viewer"}, format="json"
    )
    nobody = client.post(
        "/api/members/", {"username": "no-such-user", "role": "viewer"}, format="json"
    )
    assert elsewhere.status_code == nobody.status_code == 400
    assert elsewhere.json()["code"] == nobody.json()["code"] == "unknown_user"
    assert elsewhere.json()["detail"].replace("bob-of-b", "X") == nobody.json()["detail"].replace(
        "no-such-user", "X"
    )
    assert Membership.objects.for_tenant(tenant_a).filter(user__username="bob-of-b").count() == 0


def test_the_last_admin_can_be_neither_demoted_nor_removed(tenant_a, api_as):
    client = api_as(tenant_a, "admin", username="only-admin")
    (me,) = client.get("/api/members/").json()["results"]
    demoted = client.patch(f"/api/members/{me['id']}/", {"role": "viewer"}, format="json")
    assert demoted.status_code == 409
    assert demoted.json()["code"] == "last_admin"
    assert "last admin" in demoted.json()["detail"]
    removed = client.delete(f"/api/members/{me['id']}/")
    assert removed.status_code == 409
    assert client.get(f"/api/members/{me['id']}/").json()["role"] == "admin"

    api_as(tenant_a, "admin", username="second-admin")
    handed_over = client.patch(f"/api/members/{me['id']}/", {"role": "viewer"}, format="json")
    assert handed_over.status_code == 200
    assert handed_over.json()["role"] == "viewer"


def test_removing_a_member_takes_them_out_of_groups_and_revokes_their_tokens(
    tenant_a, api_as, make_member, make_token
):
    from workflow_platform.tenancy.services import add_to_group

    leaving = make_member(tenant_a, "operator", username="leaving")
    add_to_group(tenant=tenant_a, group_name="reviewers", user=leaving)
    _, raw = make_token(tenant_a, leaving)
    client = api_as(tenant_a, "admin")
    membership = Membership.objects.for_tenant(tenant_a).get(user=leaving)
    assert client.delete(f"/api/members/{membership.pk}/").status_code == 204
    assert client.get(f"/api/members/{membership.pk}/").status_code == 404
    (group,) = client.get("/api/groups/").json()["results"]
    assert group["members"] == []
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert fresh.get("/api/members/").status_code == 401


def test_a_member_holding_open_tasks_is_not_removed(tenant_a, api_as, published, run_worker):
    from .conftest import APPROVAL

    published(tenant_a, APPROVAL)
    operator = api_as(tenant_a, "operator")
    operator.post("/api/instances/", {"definition": "approval", "data": {}}, format="json")
    run_worker()
    (task,) = operator.get("/api/tasks/", {"view": "unassigned"}).json()["results"]
    operator.post(f"/api/tasks/{task['id']}/claim/")
    membership = Membership.objects.for_tenant(tenant_a).get(user=operator.user)
    refused = api_as(tenant_a, "admin").delete(f"/api/members/{membership.pk}/")
    assert refused.status_code == 409
    assert refused.json()["code"] == "member_holds_tasks"


def test_only_admins_remove_members(tenant_a, api_as):
    client = api_as(tenant_a, "operator")
    (me,) = client.get("/api/members/").json()["results"]
    assert client.delete(f"/api/members/{me['id']}/").status_code == 403


def test_a_group_with_a_stranger_among_its_members_is_not_created_at_all(
    tenant_a, tenant_b, api_as, make_member
):
    make_member(tenant_a, "operator", username="op-1")
    make_member(tenant_b, "operator", username="op-of-b")
    client = api_as(tenant_a, "admin")
    for stranger in ("op-of-b", "nobody"):
        response = client.post(
            "/api/groups/", {"name": "reviewers", "members": ["op-1", stranger]}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "unknown_user"
    assert client.get("/api/groups/").json()["results"] == []


def test_a_taken_group_name_is_a_409_and_merges_nobody_in(tenant_a, api_as, make_member):
    make_member(tenant_a, "operator", username="op-1")
    make_member(tenant_a, "operator", username="op-2")
    client = api_as(tenant_a, "admin")
    client.post("/api/groups/", {"name": "reviewers", "members": ["op-1"]}, format="json")
    again = client.post("/api/groups/", {"name": "reviewers", "members": ["op-2"]}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "group_exists"
    (group,) = client.get("/api/groups/").json()["results"]
    assert group["members"] == ["op-1"]


def test_an_admin_takes_a_member_out_of_a_group_and_deletes_it(tenant_a, api_as, make_member):
    make_member(tenant_a, "operator", username="op-1")
    make_member(tenant_a, "operator", username="op-2")
    client = api_as(tenant_a, "admin")
    group = client.post(
        "/api/groups/", {"name": "reviewers", "members": ["op-1", "op-2"]}, format="json"
    ).json()
    out = client.delete(f"/api/groups/{group['id']}/members/op-1/")
    assert out.status_code == 200
    assert out.json()["members"] == ["op-2"]
    not_in = client.delete(f"/api/groups/{group['id']}/members/op-1/")
    assert (not_in.status_code, not_in.json()["code"]) == (404, "not_in_group")
    assert api_as(tenant_a, "viewer").delete(f"/api/groups/{group['id']}/").status_code == 403
    assert client.delete(f"/api/groups/{group['id']}/").status_code == 204
    assert client.get(f"/api/groups/{group['id']}/").status_code == 404


def test_a_group_with_open_tasks_is_not_deleted(tenant_a, api_as, published, run_worker):
    import copy

    from .conftest import APPROVAL

    client = api_as(tenant_a, "admin")
    group = client.post(
        "/api/groups/", {"name": "reviewers", "members": [client.user.username]}, format="json"
    ).json()
    document = copy.deepcopy(APPROVAL)
    document["states"][0]["task"]["assign"] = {"group": "reviewers"}
    published(tenant_a, document)
    client.post("/api/instances/", {"definition": "approval", "data": {}}, format="json")
    run_worker()
    refused = client.delete(f"/api/groups/{group['id']}/")
    assert refused.status_code == 409
    assert refused.json()["code"] == "group_has_open_tasks"
    assert client.get(f"/api/groups/{group['id']}/").status_code == 200
