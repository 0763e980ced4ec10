"""In the admin, the role in the current tenant decides: only tenant admins change things."""

import pytest

from workflow_platform.runtime.demo import _tenant_admins_group
from workflow_platform.tenancy.middleware import SESSION_KEY
from workflow_platform.tenancy.models import ApiToken, Membership, OperatorGroup
from workflow_platform.tenancy.services import add_member, add_to_group, issue_api_token


@pytest.fixture
def vic(tenant_a, tenant_b, make_member):
    """Admin of tenant A, only a viewer in tenant B, with the tenant admins' permissions."""
    user = make_member(tenant_a, role="admin", username="vic", is_staff=True)
    add_member(tenant=tenant_b, user=user, role="viewer")
    user.groups.add(_tenant_admins_group())
    return user


@pytest.fixture
def in_b(client, vic, tenant_b):
    client.force_login(vic)
    session = client.session
    session[SESSION_KEY] = tenant_b.pk
    session.save()
    return client


def test_viewer_cannot_rename_the_tenants_group(in_b, tenant_b, make_member):
    group = add_to_group(tenant=tenant_b, group_name="b-ops", user=make_member(tenant_b))
    url = f"/admin/tenancy/operatorgroup/{group.pk}/change/"
    page = in_b.get(url)
    assert page.status_code == 200  # a read-only view
    assert 'name="_save"' not in page.content.decode()
    assert in_b.post(url, {"name": "hijacked", "description": ""}).status_code == 403
    assert OperatorGroup.objects.for_tenant(tenant_b).get(pk=group.pk).name == "b-ops"


def test_viewer_cannot_promote_their_own_membership(in_b, vic, tenant_b):
    membership = Membership.objects.for_tenant(tenant_b).get(user=vic)
    url = f"/admin/tenancy/membership/{membership.pk}/change/"
    response = in_b.post(url, {"user": vic.pk, "role": "admin", "skills": "[]"})
    assert response.status_code == 403
    assert Membership.objects.for_tenant(tenant_b).get(user=vic).role == "viewer"


@pytest.mark.parametrize(
    "url",
    [
        "/admin/tenancy/operatorgroup/add/",
        "/admin/tenancy/membership/add/",
        "/admin/definitions/definition/add/",
        "/admin/auth/user/add/",
    ],
)
def test_viewer_cannot_add_rows(in_b, url):
    assert in_b.get(url).status_code == 403


def test_viewer_cannot_rename_the_tenant(in_b, tenant_b):
    url = f"/admin/tenancy/tenant/{tenant_b.pk}/change/"
    assert in_b.post(url, {"name": "Owned", "slug": "tenant-b"}).status_code == 403
    tenant_b.refresh_from_db()
    assert tenant_b.name == "Tenant B"


def test_viewer_gets_no_admin_actions(in_b, tenant_b, make_member):
    bob = make_member(tenant_b, username="bob-of-b")
    token, _ = issue_api_token(tenant=tenant_b, user=bob, name="b-token")
    response = in_b.post(
        "/admin/tenancy/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code in (200, 302)
    token.refresh_from_db()
    assert token.revoked_at is None
    assert 'name="action"' not in in_b.get("/admin/tenancy/apitoken/").content.decode()


def test_the_same_user_administers_the_tenant_where_they_are_admin(client, vic, tenant_a):
    client.force_login(vic)  # the first tenant by name: A, where vic is admin
    response = client.post(
        "/admin/tenancy/operatorgroup/add/", {"name": "night-shift", "description": ""}
    )
    assert response.status_code == 302
    assert OperatorGroup.objects.for_tenant(tenant_a).filter(name="night-shift").exists()


@pytest.fixture
def ada(tenant_a, make_member):
    user = make_member(tenant_a, role="admin", username="ada", is_staff=True)
    user.groups.add(_tenant_admins_group())
    return user


# A many-to-many choice here; the foreign-key one is the API token's user (below). Human
# tasks, once the example, are view-only now (test_admin_engine_records.py).
@pytest.mark.parametrize("url", ["/admin/tenancy/operatorgroup/add/"])
def test_user_choices_list_only_the_current_tenants_members(
    client, ada, tenant_a, tenant_b, make_member, url
):
    make_member(tenant_a, username="otto-of-a")
    make_member(tenant_b, username="bob-of-b")
    client.force_login(ada)
    body = client.get(url).content.decode()
    assert "otto-of-a" in body
    assert "bob-of-b" not in body


def test_api_token_cannot_be_moved_to_another_tenants_user(
    client, ada, tenant_a, tenant_b, make_member
):
    bob = make_member(tenant_b, username="bob-of-b")
    token, _ = issue_api_token(tenant=tenant_a, user=ada, name="mine")
    client.force_login(ada)
    make_member(tenant_a, username="otto-of-a")
    url = f"/admin/tenancy/apitoken/{token.pk}/change/"
    choices = client.get(url).content.decode()
    assert "otto-of-a" in choices and "bob-of-b" not in choices
    expiry = {"expires_at_0": "2099-01-01", "expires_at_1": "00:00:00"}
    response = client.post(url, {"user": bob.pk, "name": "mine", **expiry})
    assert response.status_code == 200  # the form again: not a valid choice
    assert ApiToken.objects.for_tenant(tenant_a).get(pk=token.pk).user == ada
