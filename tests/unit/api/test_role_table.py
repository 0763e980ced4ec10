"""One role table (tenancy.capabilities), applied the same way by the pages and the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.unit.api.conftest import APPROVAL
from workflow_platform.engine.models import Instance
from workflow_platform.tenancy.capabilities import (
    CAPABILITY_LABELS,
    ROLE_CAPABILITIES,
    Capability,
    role_may,
    roles_with,
)
from workflow_platform.tenancy.models import Membership, Role
from workflow_platform.worklist import selectors as worklist

ROLES = [Role.VIEWER, Role.DESIGNER, Role.OPERATOR, Role.ADMIN]


@pytest.mark.parametrize("role", ROLES)
def test_a_role_may_start_from_the_designer_exactly_when_it_may_through_the_api(
    tenant_a, role, published
):
    version = published(tenant_a, {**APPROVAL, "key": "approval"})
    user = factories.make_member(tenant_a, role, f"starter-{role}", password=None)
    page = Client()
    page.force_login(user)

    in_page = page.post(reverse("designer:start", args=[version.pk]), {"data": '{"item": "a"}'})
    client = factories.api_client(tenant_a, user)
    through_api = factories.start_via_api(client, "approval")
    in_bulk = client.post(
        "/api/instances/bulk/", {"definition": "approval", "items": [{}, {}]}, format="json"
    )

    started = Instance.objects.for_tenant(tenant_a).count()
    if role_may(role, Capability.START_INSTANCES):
        assert in_page.status_code == 200
        assert "Your role cannot start instances" not in in_page.content.decode()
        assert through_api.status_code == 201, through_api.json()
        assert in_bulk.status_code == 201, in_bulk.json()
        assert started == 4
    else:
        assert "Your role cannot start instances" in in_page.content.decode()
        for refused in (through_api, in_bulk):
            assert refused.status_code == 403
            assert refused.json()["code"] == "permission_denied"
        assert started == 0


def test_designers_start_through_the_api_but_do_not_operate_instances(tenant_a, api_as, published):
    published(tenant_a, APPROVAL)
    client = api_as(tenant_a, "designer")
    instance = factories.start_via_api(client, "approval", {"item": "x"}, expect_status=201).json()
    assert instance["started_by"] == client.user.username
    cancel = client.post(f"/api/instances/{instance['id']}/cancel/", {}, format="json")
    assert cancel.status_code == 403
    assert cancel.json()["code"] == "permission_denied"
    assert Instance.objects.for_tenant(tenant_a).get().status != "cancelled"


def test_starting_another_tenants_definition_is_404_for_a_designer(
    tenant_a, tenant_b, api_as, published
):
    published(tenant_b, {**APPROVAL, "key": "theirs"})
    client = api_as(tenant_a, "designer")
    assert factories.start_via_api(client, "theirs").status_code == 404
    assert not Instance.objects.for_tenant(tenant_b).exists()


def test_every_role_has_its_capabilities_and_admins_have_all():
    assert set(ROLE_CAPABILITIES) == set(Role)
    assert ROLE_CAPABILITIES[Role.ADMIN] == frozenset(Capability)
    assert set(CAPABILITY_LABELS) == set(Capability)
    assert not role_may("nobody", Capability.READ)


def test_the_worklist_picks_task_handlers_and_supervisors_by_the_table(tenant_a):
    for role in ROLES:
        factories.make_member(tenant_a, role, f"member-{role}", password=None)
    assert roles_with(Capability.HANDLE_TASKS) == [Role.OPERATOR, Role.ADMIN]
    offered = {membership.role for membership in worklist.operators_of(tenant_a)}
    assert offered == set(roles_with(Capability.HANDLE_TASKS))
    members = Membership.objects.for_tenant(tenant_a)
    supervisors = [role for role in ROLES if worklist.is_admin(members.get(role=role))]
    assert supervisors == roles_with(Capability.SUPERVISE_TASKS) == [Role.ADMIN]


def test_the_role_table_in_the_api_docs_is_the_one_the_code_applies():
    text = (Path(__file__).resolve().parents[3] / "docs" / "api.md").read_text()
    header = "| may | viewer | designer | operator | admin |"
    assert header in text
    rows = text.split(header, 1)[1].split("\n\n", 1)[0].strip().splitlines()[1:]
    documented = {}
    for row in rows:
        label, *cells = [cell.strip() for cell in row.strip("|").split("|")]
        documented[label] = {role for role, cell in zip(ROLES, cells, strict=True) if cell}
        assert all(cell in ("", "yes") for cell in cells), row
    expected = {
        label: {role for role in ROLES if capability in ROLE_CAPABILITIES[role]}
        for capability, label in CAPABILITY_LABELS.items()
    }
    assert documented == expected
    assert len(documented) == len(Capability)
