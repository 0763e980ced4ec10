"""A tenant's private-network allowance: set by a platform superuser through the API, the
management command or the admin, audited each time; refused to everyone else."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from tests import factories
from workflow_platform.tenancy import membership_services
from workflow_platform.tenancy.models import Membership, Tenant, TenantSettingChange
from workflow_platform.tenancy.scoping import all_tenants


@pytest.fixture
def superuser_api(tenant_a):
    """A platform superuser's token; the superuser is a member of tenant A (tokens belong
    to a member of a tenant), which does not limit what it may change here."""
    user = factories.make_member(tenant_a, "viewer", "root", password=None, is_superuser=True)
    return factories.api_client(tenant_a, user)


def changes() -> list[tuple]:
    with all_tenants():
        return list(
            TenantSettingChange.objects.order_by("id").values_list(
                "tenant__slug", "setting", "old_value", "new_value", "actor", "via", "reason"
            )
        )


def allowed(tenant) -> bool:
    return Tenant.objects.get(pk=tenant.pk).allow_private_network


def test_a_superuser_allows_another_tenants_private_network_and_it_is_audited(
    superuser_api, tenant_b
):
    answer = superuser_api.patch(
        f"/api/tenants/{tenant_b.slug}/",
        {"allow_private_network": True, "reason": "Calls the on-site ERP."},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["allow_private_network"] is True
    assert allowed(tenant_b) is True
    assert changes() == [
        (tenant_b.slug, "allow_private_network", False, True, "root", "api",
         "Calls the on-site ERP."),
    ]  # fmt: skip
    trail = superuser_api.get(f"/api/tenants/{tenant_b.slug}/changes/").json()["results"]
    assert [(c["old_value"], c["new_value"], c["actor"], c["via"]) for c in trail] == [
        (False, True, "root", "api")
    ]

    back = superuser_api.patch(
        f"/api/tenants/{tenant_b.slug}/", {"allow_private_network": False}, format="json"
    )
    assert back.json()["allow_private_network"] is False
    again = superuser_api.patch(
        f"/api/tenants/{tenant_b.slug}/", {"allow_private_network": False}, format="json"
    )
    assert again.status_code == 200
    # Setting the value it has is no change: two entries, not three.
    assert [(c[2], c[3]) for c in changes()] == [(False, True), (True, False)]


def test_a_superuser_lists_and_reads_every_tenant(superuser_api, tenant_a, tenant_b):
    listed = superuser_api.get("/api/tenants/").json()["results"]
    assert [t["slug"] for t in listed] == sorted([tenant_a.slug, tenant_b.slug])
    assert superuser_api.get(f"/api/tenants/{tenant_b.slug}/").json()["name"] == tenant_b.name
    assert superuser_api.get("/api/tenants/no-such-tenant/").status_code == 404


def test_a_superuser_signed_in_without_any_membership_may_too(tenant_b, django_user_model):
    user = django_user_model.objects.create_superuser("operator-of-the-platform", password=None)
    client = APIClient()
    client.force_login(user)
    answer = client.patch(
        f"/api/tenants/{tenant_b.slug}/", {"allow_private_network": True}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    assert changes()[0][4:6] == ("operator-of-the-platform", "api")


@pytest.mark.parametrize("role", ["admin", "designer", "operator", "viewer"])
def test_anyone_but_a_superuser_gets_the_same_403_for_every_tenant(
    tenant_a, tenant_b, api_as, role
):
    client = api_as(tenant_a, role)
    answers = {}
    for slug in (tenant_a.slug, tenant_b.slug, "no-such-tenant"):
        for method, url, body in [
            ("get", f"/api/tenants/{slug}/", None),
            ("patch", f"/api/tenants/{slug}/", {"allow_private_network": True}),
            ("get", f"/api/tenants/{slug}/changes/", None),
        ]:
            answer = getattr(client, method)(url, body, format="json")
            problem = {**answer.json(), "instance": ""}
            answers.setdefault((method, url.replace(slug, "*")), set()).add(
                (answer.status_code, problem["code"], problem["detail"])
            )
    assert client.get("/api/tenants/").status_code == 403
    for (method, url), seen in answers.items():
        assert len(seen) == 1, (method, url, seen)  # one slug answers like any other
        ((status, code, _),) = seen
        assert (status, code) == (403, "permission_denied"), (method, url)
    assert not allowed(tenant_a) and not allowed(tenant_b)
    assert changes() == []


def test_a_superusers_token_reaches_nothing_once_it_left_its_tenant(
    superuser_api, tenant_a, tenant_b
):
    factories.make_member(tenant_a, "admin", "another-admin", password=None)
    membership = Membership.objects.for_tenant(tenant_a).get(user=superuser_api.user)
    membership_services.remove_member(tenant=tenant_a, membership_id=membership.pk)
    answer = superuser_api.patch(
        f"/api/tenants/{tenant_b.slug}/", {"allow_private_network": True}, format="json"
    )
    assert answer.status_code in (401, 403)
    assert not allowed(tenant_b)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"allow_private_network": "true"}, "allow_private_network"),
        ({"allow_private_network": 1}, "allow_private_network"),
        ({"allow_private_network": None}, "allow_private_network"),
        ({"allow_private_network": True, "name": "Renamed"}, "name"),
        ({"allow_private_network": True, "reason": "x" * 501}, "reason"),
        ({"allow_private_network": True, "reason": "a\x00b"}, "reason"),
    ],
)
def test_bad_input_is_a_400_and_changes_nothing(superuser_api, tenant_b, body, field):
    answer = superuser_api.patch(f"/api/tenants/{tenant_b.slug}/", body, format="json")
    assert answer.status_code == 400, answer.json()
    assert answer.json()["code"] == "invalid_input"
    assert list(answer.json()["errors"]) == [field]
    assert Tenant.objects.get(pk=tenant_b.pk).name == tenant_b.name
    assert not allowed(tenant_b)
    assert changes() == []


def test_a_patch_without_the_allowance_changes_nothing(superuser_api, tenant_b):
    answer = superuser_api.patch(f"/api/tenants/{tenant_b.slug}/", {"reason": "?"}, format="json")
    assert answer.status_code == 200
    assert answer.json()["allow_private_network"] is False
    assert changes() == []


def test_put_and_delete_are_not_offered(superuser_api, tenant_b):
    assert superuser_api.put(f"/api/tenants/{tenant_b.slug}/", {}, format="json").status_code == 405
    assert superuser_api.delete(f"/api/tenants/{tenant_b.slug}/").status_code == 405
    assert Tenant.objects.filter(pk=tenant_b.pk).exists()


# The management command.


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("tenant_network", *args, stdout=out)
    return out.getvalue().strip()


def test_the_command_allows_denies_and_shows_and_each_change_is_audited(tenant_b):
    assert run(tenant_b.slug) == f"{tenant_b.slug}: HTTP actions and webhooks may not reach " \
        "private and loopback networks"  # fmt: skip
    assert "may reach" in run(tenant_b.slug, "--allow-private", "--reason", "ERP on site")
    assert allowed(tenant_b)
    assert run(tenant_b.slug, "--allow-private").endswith("(unchanged)")
    assert "may not reach" in run(tenant_b.slug, "--deny-private")
    assert not allowed(tenant_b)
    recorded = changes()
    assert [(c[2], c[3], c[5], c[6]) for c in recorded] == [
        (False, True, "command", "ERP on site"),
        (True, False, "command", ""),
    ]
    assert all(c[4].endswith("(manage.py)") for c in recorded)


def test_the_command_records_a_superuser_given_with_by(tenant_b, django_user_model):
    django_user_model.objects.create_superuser("root-2", password=None)
    run(tenant_b.slug, "--allow-private", "--by", "root-2")
    assert changes()[0][4:6] == ("root-2", "command")


def test_the_command_refuses_unknown_tenants_and_non_superusers(tenant_a, tenant_b):
    factories.make_member(tenant_a, "admin", "tenant-admin", password=None)
    with pytest.raises(CommandError, match="no tenant 'nowhere'"):
        run("nowhere", "--allow-private")
    with pytest.raises(CommandError, match="superuser"):
        run(tenant_b.slug, "--allow-private", "--by", "tenant-admin")
    with pytest.raises(CommandError, match="no user"):
        run(tenant_b.slug, "--allow-private", "--by", "nobody")
    with pytest.raises(CommandError):
        run(tenant_b.slug, "--allow-private", "--deny-private")
    assert not allowed(tenant_b)
    assert changes() == []


# The admin site.


def test_a_superusers_change_in_the_admin_is_audited_too(tenant_b, django_user_model):
    user = django_user_model.objects.create_superuser("admin-root", password=None)
    client = Client()
    client.force_login(user)
    url = f"/admin/tenancy/tenant/{tenant_b.pk}/change/"
    form = {"slug": tenant_b.slug, "name": "Renamed B", "allow_private_network": "on"}
    assert client.post(url, form).status_code == 302
    stored = Tenant.objects.get(pk=tenant_b.pk)
    assert (stored.name, stored.allow_private_network) == ("Renamed B", True)
    assert changes() == [(tenant_b.slug, "allow_private_network", False, True, "admin-root",
                          "admin", "")]  # fmt: skip
    assert client.post(url, {**form, "name": "Again"}).status_code == 302
    assert len(changes()) == 1  # the allowance did not change
    assert client.get("/admin/tenancy/tenantsettingchange/").status_code == 200


def test_a_tenant_admin_saves_the_tenant_in_the_admin_without_touching_the_allowance(
    tenant_a, make_member
):
    from django.contrib.auth.models import Permission

    Tenant.objects.filter(pk=tenant_a.pk).update(allow_private_network=True)
    admin = make_member(tenant_a, role="admin", username="ta", is_staff=True)
    admin.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_tenant", "change_tenant"])
    )
    client = Client()
    client.force_login(admin)
    url = f"/admin/tenancy/tenant/{tenant_a.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="allow_private_network"' not in page.content  # read only to them
    form = {"slug": tenant_a.slug, "name": "Renamed A", "allow_private_network": ""}
    assert client.post(url, form).status_code == 302
    stored = Tenant.objects.get(pk=tenant_a.pk)
    assert (stored.name, stored.allow_private_network) == ("Renamed A", True)
    assert changes() == []
