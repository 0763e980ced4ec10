"""Tenant admins manage their own tenant's accounts and can never take over another's."""

import pytest
from django.contrib.auth import get_user_model

from workflow_platform.runtime.demo import _tenant_admins_group
from workflow_platform.tenancy.models import Membership
from workflow_platform.tenancy.services import add_member

MEMBERSHIP_ADD = "/admin/tenancy/membership/add/"


@pytest.fixture
def ada(tenant_a, make_member):
    """Tenant A's admin, with the global permissions every tenant admin has."""
    user = make_member(tenant_a, role="admin", username="ada", is_staff=True)
    user.groups.add(_tenant_admins_group())
    return user


@pytest.fixture
def admin_of_b(tenant_b, make_member):
    user = make_member(tenant_b, role="admin", username="bea-of-b", is_staff=True)
    user.groups.add(_tenant_admins_group())
    return user


def _add_membership(client, user, role="admin"):
    return client.post(MEMBERSHIP_ADD, {"user": user.pk, "role": role, "skills": "[]"})


def test_tenant_admin_cannot_add_another_tenants_user_to_their_tenant(
    client, ada, admin_of_b, tenant_a
):
    client.force_login(ada)
    response = _add_membership(client, admin_of_b)
    assert response.status_code == 200  # the form again, with an error
    assert "Select a valid choice" in response.content.decode()
    assert not Membership.objects.for_tenant(tenant_a).filter(user=admin_of_b).exists()


def test_membership_choices_are_own_members_and_users_without_a_tenant(
    client, ada, admin_of_b, tenant_a
):
    User = get_user_model()
    User.objects.create_user("newcomer", password=None)
    User.objects.create_superuser("root-admin", "r@example.com", None)
    client.force_login(ada)
    body = client.get(MEMBERSHIP_ADD).content.decode()
    assert "newcomer" in body and "ada" in body
    assert "bea-of-b" not in body
    assert "root-admin" not in body


def test_tenant_admin_can_give_a_user_without_a_tenant_a_membership(client, ada, tenant_a):
    newcomer = get_user_model().objects.create_user("newcomer", password=None)
    client.force_login(ada)
    response = _add_membership(client, newcomer, role="operator")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Membership.objects.for_tenant(tenant_a).get(user=newcomer).role == "operator"


def test_duplicate_membership_is_a_form_error_not_a_server_error(client, ada, tenant_a):
    client.force_login(ada)
    response = _add_membership(client, ada, role="viewer")
    assert response.status_code == 200
    assert "ada is already a member of Tenant A" in response.content.decode()
    assert Membership.objects.for_tenant(tenant_a).get(user=ada).role == "admin"


def test_duplicate_membership_is_a_form_error_for_superusers_too(client, ada, tenant_a):
    root = get_user_model().objects.create_superuser("root-admin", "r@example.com", None)
    client.force_login(root)
    response = client.post(
        MEMBERSHIP_ADD, {"tenant": tenant_a.pk, "user": ada.pk, "role": "viewer", "skills": "[]"}
    )
    assert response.status_code == 200
    assert "already a member" in response.content.decode()


@pytest.fixture
def shared(tenant_a, tenant_b, make_member):
    """A user who is a member of tenant A and also an admin of tenant B."""
    user = make_member(tenant_b, role="admin", username="sam-shared", is_staff=True)
    add_member(tenant=tenant_a, user=user, role="viewer")
    return user


def test_tenant_admin_cannot_reset_the_password_of_a_user_shared_with_another_tenant(
    client, ada, shared
):
    client.force_login(ada)
    url = f"/admin/auth/user/{shared.pk}/password/"
    assert client.get(url).status_code == 403
    response = client.post(url, {"password1": "Hijack-pw-9", "password2": "Hijack-pw-9"})
    assert response.status_code == 403
    shared.refresh_from_db()
    assert shared.check_password("pw-for-tests")


def test_tenant_admin_cannot_rename_or_delete_a_shared_user(client, ada, shared):
    client.force_login(ada)
    change = f"/admin/auth/user/{shared.pk}/change/"
    page = client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(change, {"username": "renamed"}).status_code == 403
    assert client.post(f"/admin/auth/user/{shared.pk}/delete/", {"post": "yes"}).status_code == 403
    shared.refresh_from_db()
    assert shared.username == "sam-shared"


def test_tenant_admin_cannot_change_a_superuser_member(client, ada, tenant_a):
    root = get_user_model().objects.create_superuser("root-admin", "r@example.com", "pw")
    add_member(tenant=tenant_a, user=root, role="admin")
    client.force_login(ada)
    assert client.get(f"/admin/auth/user/{root.pk}/password/").status_code == 403


def test_tenant_admin_still_manages_users_of_their_tenant_only(client, ada, tenant_a, make_member):
    own = make_member(tenant_a, username="otto")
    client.force_login(ada)
    url = f"/admin/auth/user/{own.pk}/password/"
    response = client.post(
        url, {"password1": "New-pw-for-otto-9", "password2": "New-pw-for-otto-9"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    own.refresh_from_db()
    assert own.check_password("New-pw-for-otto-9")


def test_a_user_a_tenant_admin_creates_joins_their_tenant_as_viewer(client, ada, tenant_a):
    client.force_login(ada)
    response = client.post(
        "/admin/auth/user/add/",
        {
            "username": "fresh",
            "usable_password": "true",
            "password1": "Fresh-pw-4242",
            "password2": "Fresh-pw-4242",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    fresh = get_user_model().objects.get(username="fresh")
    assert Membership.objects.for_tenant(tenant_a).get(user=fresh).role == "viewer"
    assert client.get(response["Location"]).status_code == 200
