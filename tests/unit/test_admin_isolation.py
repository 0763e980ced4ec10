"""Tenant admins use the Django admin and see only their own tenant; superusers see all."""

import pytest
from django.contrib.auth import get_user_model

from workflow_platform.runtime.demo import _tenant_admins_group
from workflow_platform.tenancy.models import ApiToken, Membership, OperatorGroup
from workflow_platform.tenancy.services import add_to_group, issue_api_token


@pytest.fixture
def tenant_admin(tenant_a, make_member):
    user = make_member(tenant_a, role="admin", username="ada", is_staff=True)
    user.groups.add(_tenant_admins_group())
    return user


@pytest.fixture
def b_objects(tenant_b, make_member):
    bob = make_member(tenant_b, username="bob-of-b")
    group = add_to_group(tenant=tenant_b, group_name="b-ops", user=bob)
    token, _ = issue_api_token(tenant=tenant_b, user=bob, name="b-token")
    membership = Membership.objects.for_tenant(tenant_b).get(user=bob)
    return {"user": bob, "group": group, "token": token, "membership": membership}


@pytest.mark.parametrize(
    "changelist",
    [
        "/admin/tenancy/membership/",
        "/admin/tenancy/operatorgroup/",
        "/admin/tenancy/apitoken/",
        "/admin/auth/user/",
        "/admin/tenancy/tenant/",
    ],
)
def test_tenant_admin_lists_show_nothing_of_another_tenant(
    client, tenant_admin, b_objects, changelist
):
    client.force_login(tenant_admin)
    response = client.get(changelist)
    assert response.status_code == 200
    body = response.content.decode()
    for needle in ("bob-of-b", "b-ops", "b-token", "Tenant B"):
        assert needle not in body


@pytest.mark.parametrize("kind", ["group", "token", "membership", "user"])
def test_tenant_admin_cannot_open_or_change_another_tenants_object(
    client, tenant_admin, b_objects, kind
):
    obj = b_objects[kind]
    url = f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{obj.pk}/change/"
    client.force_login(tenant_admin)
    response = client.get(url)
    # Django's admin treats an object outside the queryset as missing.
    assert response.status_code == 302
    assert "bob-of-b" not in client.get(response["Location"]).content.decode()
    response = client.post(url, {"name": "hijacked", "description": "x"})
    assert response.status_code == 302
    if kind == "group":
        with_scope = OperatorGroup.objects.for_tenant(obj.tenant).get(pk=obj.pk)
        assert with_scope.name == "b-ops"


def test_tenant_admin_creates_a_group_in_their_own_tenant(client, tenant_admin, tenant_a):
    client.force_login(tenant_admin)
    response = client.post(
        "/admin/tenancy/operatorgroup/add/", {"name": "night-shift", "description": ""}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert OperatorGroup.objects.for_tenant(tenant_a).filter(name="night-shift").exists()


def test_superuser_sees_every_tenant(client, tenant_a, b_objects):
    admin = get_user_model().objects.create_superuser("root-admin", "r@example.com", "pw")
    client.force_login(admin)
    body = client.get("/admin/tenancy/operatorgroup/").content.decode()
    assert "b-ops" in body
    assert client.get("/admin/tenancy/apitoken/").status_code == 200
    assert ApiToken.objects.with_scopes_disabled().count() == 1


def test_tenant_admin_cannot_open_their_tenant_to_the_private_network(
    client, tenant_admin, tenant_a
):
    client.force_login(tenant_admin)
    url = f"/admin/tenancy/tenant/{tenant_a.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="allow_private_network"' not in page.content.decode()  # shown, not editable
    client.post(url, {"name": "Tenant A", "slug": tenant_a.slug, "allow_private_network": "on"})
    tenant_a.refresh_from_db()
    assert tenant_a.allow_private_network is False


def test_the_platform_superuser_decides_the_private_network(client, tenant_a):
    admin = get_user_model().objects.create_superuser("root-admin", password="pw-for-tests")
    client.force_login(admin)
    url = f"/admin/tenancy/tenant/{tenant_a.pk}/change/"
    assert 'name="allow_private_network"' in client.get(url).content.decode()
