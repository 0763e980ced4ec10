"""The definitions admin: drafts edit through services, published versions are view-only."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from tests.factories import make_member, publish_definition
from workflow_platform.definitions import services
from workflow_platform.definitions.models import Definition, Version, VersionStatus
from workflow_platform.runtime.demo import _tenant_admins_group
from workflow_platform.tenancy.models import OperatorGroup

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/definitions/version/"


@pytest.fixture
def tenant_admin(tenant_a):
    # No password: force_login needs none, and hashing one is the slowest part of setup.
    user = make_member(tenant_a, "admin", "ada", password=None, is_staff=True)
    user.groups.add(_tenant_admins_group())
    OperatorGroup.objects.create(tenant=tenant_a, name="ops")
    return user


@pytest.fixture
def admin_in(client, tenant_admin):
    client.force_login(tenant_admin)
    return client


def _action(client, action, version):
    return client.post(
        CHANGELIST, {"action": action, "_selected_action": [version.pk]}, follow=True
    )


def test_published_version_is_view_only_in_the_admin(admin_in, tenant_a, document):
    version = publish_definition(tenant_a, document)
    url = f"{CHANGELIST}{version.pk}/change/"
    page = admin_in.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="_save"' not in body
    assert "received" in body  # the inline states
    changed = {**version.document, "name": "Sneaky"}
    assert admin_in.post(url, {"document": json.dumps(changed)}).status_code == 403
    assert Version.objects.for_tenant(tenant_a).get(pk=version.pk).document["name"] == "Order"


def test_draft_document_is_saved_through_the_service(admin_in, tenant_a, document):
    draft = services.create_definition(
        tenant=tenant_a, key="order", name="Order", document=document
    )
    changed = {**document, "name": "Orders v2"}
    form = {"document": json.dumps(changed)}
    for inline in ("state_rows", "transition_rows"):  # the read-only inlines' management
        form |= {f"{inline}-TOTAL_FORMS": "0", f"{inline}-INITIAL_FORMS": "0"}
    response = admin_in.post(f"{CHANGELIST}{draft.pk}/change/", form)
    assert response.status_code == 302
    saved = Version.objects.for_tenant(tenant_a).get(pk=draft.pk)
    assert saved.document["name"] == "Orders v2"
    assert saved.checksum != draft.checksum


def test_validate_and_publish_actions_report_problems_then_publish(admin_in, tenant_a, document):
    document["initial"] = "nowhere"
    draft = services.create_definition(
        tenant=tenant_a, key="order", name="Order", document=document
    )
    body = _action(admin_in, "validate_versions", draft).content.decode()
    assert "the definition (initial): the initial state" in body
    body = _action(admin_in, "publish_versions", draft).content.decode()
    assert "problem(s)" in body
    document["initial"] = "received"
    services.save_draft(tenant=tenant_a, version_id=draft.pk, document=document)
    _action(admin_in, "publish_versions", draft)
    assert Version.objects.for_tenant(tenant_a).get(pk=draft.pk).status == VersionStatus.PUBLISHED
    _action(admin_in, "retire_versions", draft)
    assert Version.objects.for_tenant(tenant_a).get(pk=draft.pk).status == VersionStatus.RETIRED


def test_export_action_downloads_the_canonical_json(admin_in, tenant_a, document):
    draft = services.create_definition(
        tenant=tenant_a, key="order", name="Order", document=document
    )
    response = _action(admin_in, "export_json", draft)
    assert response["Content-Disposition"] == 'attachment; filename="order-v1.json"'
    assert json.loads(response.content) == draft.document


def test_adding_a_definition_creates_its_first_draft(admin_in, tenant_a):
    response = admin_in.post(
        "/admin/definitions/definition/add/",
        {
            "key": "hello",
            "name": "Hello",
            "description": "",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    definition = Definition.objects.for_tenant(tenant_a).get(key="hello")
    assert Version.objects.for_tenant(tenant_a).filter(definition=definition, number=1).exists()


def test_another_tenants_versions_are_not_listed(admin_in, tenant_b, document):
    services.create_definition(tenant=tenant_b, key="secret-flow", name="Secret", document=None)
    assert "secret-flow" not in admin_in.get(CHANGELIST).content.decode()


def test_superuser_sees_versions_of_every_tenant(client, tenant_a, tenant_b):
    services.create_definition(tenant=tenant_b, key="b-flow", name="B flow")
    root = get_user_model().objects.create_superuser("root", "r@example.com", None)
    client.force_login(root)
    assert "b-flow" in client.get(CHANGELIST).content.decode()


def test_definition_page_links_its_versions(admin_in, tenant_a):
    draft = services.create_definition(tenant=tenant_a, key="hello", name="Hello")
    page = admin_in.get(f"/admin/definitions/definition/{draft.definition_id}/change/")
    assert f'href="{CHANGELIST}{draft.pk}/change/"' in page.content.decode()
