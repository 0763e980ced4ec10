"""A cross-tenant read is impossible by construction: every query needs a scope."""

import pytest

from workflow_platform.tenancy.models import Membership, OperatorGroup
from workflow_platform.tenancy.scoping import ScopeError, all_tenants, tenant_scope


def test_query_without_a_tenant_scope_raises(tenant_a, make_member):
    make_member(tenant_a)
    with pytest.raises(ScopeError):
        list(Membership.objects.all())
    with pytest.raises(ScopeError):
        Membership.objects.filter(role="operator").count()


def test_scope_shows_only_that_tenants_rows(tenant_a, tenant_b, make_member):
    make_member(tenant_a, username="a1")
    make_member(tenant_b, username="b1")
    with tenant_scope(tenant_a):
        assert [m.user.username for m in Membership.objects.all()] == ["a1"]
    assert [m.user.username for m in Membership.objects.for_tenant(tenant_b)] == ["b1"]


def test_scope_cannot_be_opened_without_a_saved_tenant():
    with pytest.raises(ScopeError), tenant_scope(None):
        pass


def test_for_tenant_refuses_none(db):
    with pytest.raises(ScopeError):
        OperatorGroup.objects.for_tenant(None)


def test_get_of_another_tenants_row_is_not_found(tenant_a, tenant_b):
    group_b = OperatorGroup.objects.for_tenant(tenant_b).create(tenant=tenant_b, name="ops")
    with tenant_scope(tenant_a), pytest.raises(OperatorGroup.DoesNotExist):
        OperatorGroup.objects.get(pk=group_b.pk)


def test_system_code_can_span_tenants_explicitly(tenant_a, tenant_b, make_member):
    make_member(tenant_a)
    make_member(tenant_b)
    with all_tenants():
        assert Membership.objects.count() == 2
