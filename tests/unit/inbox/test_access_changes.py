"""A member's access changing becomes a hint to their own sockets (embedded transport),
written after the change commits, and never stands in the way of the change."""

from __future__ import annotations

import pytest

from tasks_inbox import live
from tasks_inbox.models import LiveNotification
from tests import factories
from workflow_platform.tenancy.models import Membership, Tenant
from workflow_platform.tenancy.scoping import all_tenants
from workflow_platform.tenancy.services import add_to_group

pytestmark = pytest.mark.django_db(transaction=True)


def access_hints() -> list[tuple[int, list[str]]]:
    with all_tenants():
        rows = LiveNotification.objects.filter(message__change=live.ACCESS_CHANGED)
        return [(row.tenant_id, row.groups) for row in rows]


def test_removing_a_member_tells_their_sockets(tenant_a):
    olaf = factories.make_member(tenant_a, "operator", "olaf", password=None)
    assert access_hints() == []  # a new membership changes no open socket
    Membership.objects.for_tenant(tenant_a).filter(user=olaf).delete()
    assert access_hints() == [(tenant_a.pk, [live.user_channel(olaf.pk)])]


def test_group_changes_and_deactivation_tell_the_users_sockets(tenant_a):
    olaf = factories.make_member(tenant_a, "operator", "olaf", password=None)
    group = add_to_group(tenant=tenant_a, group_name="night", user=olaf)
    group.members.remove(olaf)
    group.members.add(olaf)
    olaf.operator_groups.clear()  # from the user's side, with no pk_set
    olaf.is_active = False
    olaf.save()
    assert access_hints() == [(tenant_a.pk, [live.user_channel(olaf.pk)])] * 5


def test_a_tenant_deleted_with_its_members_is_deleted(db):
    doomed = Tenant.objects.create(name="Doomed", slug="doomed")
    factories.make_member(doomed, "operator", "olaf", password=None)
    doomed.delete()
    assert not Tenant.objects.filter(slug="doomed").exists()
    assert access_hints() == []
