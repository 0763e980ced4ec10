"""The landing page: the tenant's counts with their links, and first steps for a new one."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.unit.inbox.conftest import make_task  # noqa: F401 - fixture
from workflow_platform.definitions.models import Definition
from workflow_platform.engine.models import Instance
from workflow_platform.tenancy.scoping import tenant_scope


def count_of(body: str, name: str) -> tuple[str, str]:
    """The number shown by the count tile ``name`` and where it links."""
    tile = rf'<a class="count[^"]*" href="([^"]+)" data-testid="count-{name}">'
    match = re.search(tile + r"\s*<strong>(\d+)</strong>", body)
    assert match, f"no count-{name} tile"
    return match.group(2), match.group(1).replace("&amp;", "&")


@pytest.fixture
def page_of(client):
    def get(user) -> str:
        client.force_login(user)
        response = client.get(reverse("home"))
        assert response.status_code == 200
        return response.content.decode()

    return get


def test_a_new_tenant_shows_zero_counts_and_the_first_steps(page_of, tenant_a, make_member):
    body = page_of(make_member(tenant_a, role="designer"))
    for name in ("definitions", "running", "tasks", "incidents"):
        assert count_of(body, name)[0] == "0"
    assert 'data-testid="first-steps"' in body
    assert "Create a definition in the Designer" in body
    assert 'action="/designer/install-templates"' in body
    assert "<em>Start</em> tab" in body and 'href="/inbox/"' in body


def test_an_operator_of_a_new_tenant_is_told_who_creates_workflows(page_of, tenant_a, make_member):
    body = page_of(make_member(tenant_a, role="operator"))
    assert 'data-testid="first-steps"' in body
    assert "A designer or admin of Tenant A creates workflows" in body
    assert "install-templates" not in body


def test_a_populated_tenant_shows_its_counts_with_links_and_no_first_steps(
    page_of,
    tenant_a,
    tenant_b,
    make_member,
    make_task,  # noqa: F811
):
    admin = make_member(tenant_a, role="admin")
    make_task(tenant_a)
    make_task(tenant_a, assignee=admin)
    done = make_task(tenant_a, status="completed")
    failed = make_task(tenant_a).instance
    with tenant_scope(tenant_a):
        Instance.objects.filter(pk=done.instance_id).update(status="completed")
        Instance.objects.filter(pk=failed.pk).update(status="failed", has_incident=True)
    make_task(tenant_b)  # another tenant's: counted nowhere here
    body = page_of(admin)
    assert count_of(body, "definitions") == ("1", "/designer/")
    assert count_of(body, "running") == ("2", "/operations/instances/")
    assert count_of(body, "tasks") == ("3", "/inbox/?view=all")
    assert count_of(body, "incidents") == ("1", "/operations/instances/?status=failed")
    assert "1 yours" in body
    assert 'data-testid="first-steps"' not in body


def test_the_first_steps_tick_off_what_is_done(page_of, tenant_a, make_member):
    with tenant_scope(tenant_a):
        Definition.objects.create(tenant=tenant_a, key="one", name="One")
    body = page_of(make_member(tenant_a, role="designer"))
    assert '<li class="done" data-testid="step-design">' in body
    assert '<li class="" data-testid="step-start">' in body


def test_no_tenant_no_counts(page_of, django_user_model):
    body = page_of(django_user_model.objects.create_user("loner", password=None))
    assert "not a member of any tenant" in body and 'data-testid="counts"' not in body


def test_a_designer_installs_the_seed_workflows_once(client, tenant_a, make_member):
    client.force_login(make_member(tenant_a, role="designer"))
    first = client.post(reverse("designer:install_templates"), follow=True)
    keys = set(Definition.objects.for_tenant(tenant_a).values_list("key", flat=True))
    assert {"order-processing", "trip-booking", "support-ticket"} <= keys
    assert "Published" in first.content.decode()
    again = client.post(reverse("designer:install_templates"), follow=True)
    assert "already has every seed workflow" in again.content.decode()
    assert Definition.objects.for_tenant(tenant_a).count() == len(keys)


def test_a_viewer_cannot_install_the_seed_workflows(client, tenant_a, make_member):
    client.force_login(make_member(tenant_a, role="viewer"))
    answer = client.post(reverse("designer:install_templates"), follow=True)
    assert "can look at workflows but not change them" in answer.content.decode()
    assert not Definition.objects.for_tenant(tenant_a).exists()
