"""Definition services: drafts, publishing, immutability, import/export, deletion."""

from __future__ import annotations

import pytest

from tests.factories import publish_definition
from workflow_platform.definitions import selectors, services
from workflow_platform.definitions.checksum import document_checksum
from workflow_platform.definitions.models import (
    Action,
    Definition,
    Dependency,
    HumanTaskSpec,
    State,
    Transition,
    Version,
    VersionStatus,
)
from workflow_platform.errors import Conflict, InvalidInput, NotFound, Unprocessable
from workflow_platform.tenancy.models import OperatorGroup
from workflow_platform.tenancy.scoping import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant(make_tenant):
    tenant = make_tenant()
    OperatorGroup.objects.create(tenant=tenant, name="ops")
    return tenant


def test_new_definition_starts_with_a_valid_draft(tenant):
    version = services.create_definition(tenant=tenant, key="hello", name="Hello")
    assert (version.number, version.status) == (1, VersionStatus.DRAFT)
    assert version.checksum == document_checksum(version.document)
    published = services.publish_version(tenant=tenant, version_id=version.pk)
    assert published.status == VersionStatus.PUBLISHED


def test_definition_key_is_unique_per_tenant(tenant, make_tenant):
    services.create_definition(tenant=tenant, key="hello", name="Hello")
    with pytest.raises(Conflict) as caught:
        services.create_definition(tenant=tenant, key="hello", name="Again")
    assert caught.value.code == "definition_exists"
    services.create_definition(tenant=make_tenant(), key="hello", name="Elsewhere")


def test_bad_key_is_refused(tenant):
    with pytest.raises(InvalidInput):
        services.create_definition(tenant=tenant, key="not a slug", name="x")


def test_stale_checksum_makes_save_a_conflict(tenant, document):
    draft = services.create_definition(tenant=tenant, key="order", name="Order", document=document)
    document["name"] = "Order v2"
    saved = services.save_draft(
        tenant=tenant, version_id=draft.pk, document=document, expected_checksum=draft.checksum
    )
    with pytest.raises(Conflict) as caught:
        services.save_draft(
            tenant=tenant, version_id=draft.pk, document=document, expected_checksum=draft.checksum
        )
    assert caught.value.code == "draft_changed"
    assert saved.checksum != draft.checksum


def test_invalid_draft_is_saved_but_not_published(tenant, document):
    document["initial"] = "nowhere"
    draft = services.create_definition(tenant=tenant, key="order", name="Order", document=document)
    with pytest.raises(Unprocessable) as caught:
        services.publish_version(tenant=tenant, version_id=draft.pk)
    assert caught.value.code == "invalid_definition"
    assert {"path": "initial", "code": "unknown_state"} in [
        {k: d[k] for k in ("path", "code")} for d in caught.value.details
    ]
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_publishing_materialises_rows_and_adds_missing_dependencies(tenant, document):
    Dependency.objects.create(tenant=tenant, name="bank", rate_limit_tps=99)
    version = publish_definition(tenant, document)
    with tenant_scope(tenant):
        assert list(State.objects.filter(version=version).values_list("name", flat=True)) == [
            s["name"] for s in document["states"]
        ]
        assert Transition.objects.filter(version=version).count() == 9
        assert set(Action.objects.filter(version=version).values_list("name", flat=True)) == {
            "charge",
            "refund",
            "check_payment",
        }
        spec = HumanTaskSpec.objects.get(state__version=version)
        assert (spec.assign_group, spec.due_seconds) == ("ops", 3600)
        # The tenant's existing row wins over the document's declaration.
        assert Dependency.objects.get(name="bank").rate_limit_tps == 99


def test_publishing_creates_declared_dependency(tenant, document):
    publish_definition(tenant, document)
    with tenant_scope(tenant):
        bank = Dependency.objects.get(name="bank")
    assert (bank.rate_limit_tps, bank.rate_limit_burst, bank.breaker_recovery_seconds) == (
        5,
        10,
        30,
    )


def test_published_version_cannot_be_altered_through_the_orm(tenant, document):
    version = publish_definition(tenant, document)
    version.document = {**version.document, "name": "Sneaky"}
    with pytest.raises(Conflict, match="cannot change"):
        version.save()
    with tenant_scope(tenant):
        with pytest.raises(Conflict):
            Version.objects.filter(pk=version.pk).update(document={})
        with pytest.raises(Conflict):
            Version.objects.filter(pk=version.pk).delete()
        state = State.objects.filter(version=version).first()
        state.name = "renamed"
        with pytest.raises(Conflict):
            state.save()
        with pytest.raises(Conflict):
            State.objects.filter(version=version).update(kind="final")
        with pytest.raises(Conflict):
            HumanTaskSpec.objects.filter(state__version=version).first().delete()
    fresh = Version.objects.for_tenant(tenant).get(pk=version.pk)
    with pytest.raises(Conflict):
        fresh.delete()
    assert fresh.document["name"] == "Order"


def test_published_version_cannot_be_saved_as_a_draft(tenant, document):
    version = publish_definition(tenant, document)
    with pytest.raises(Conflict) as caught:
        services.save_draft(tenant=tenant, version_id=version.pk, document=document)
    assert caught.value.code == "version_not_draft"


def test_retiring_is_the_only_change_a_published_version_takes(tenant, document):
    version = publish_definition(tenant, document)
    retired = services.retire_version(tenant=tenant, version_id=version.pk)
    assert retired.status == VersionStatus.RETIRED
    with pytest.raises(Conflict) as caught:
        services.retire_version(tenant=tenant, version_id=version.pk)
    assert caught.value.code == "version_not_published"


def test_new_draft_copies_the_version_and_is_reused(tenant, document):
    version = publish_definition(tenant, document)
    draft = services.new_draft(tenant=tenant, definition_id=version.definition_id)
    assert (draft.number, draft.status, draft.document) == (2, "draft", version.document)
    again = services.new_draft(tenant=tenant, definition_id=version.definition_id)
    assert again.pk == draft.pk


def test_latest_published_version_is_the_one_to_start(tenant, document):
    first = publish_definition(tenant, document)
    draft = services.new_draft(tenant=tenant, definition_id=first.definition_id)
    assert selectors.published_version(tenant, "order").pk == first.pk
    services.publish_version(tenant=tenant, version_id=draft.pk)
    assert selectors.published_version(tenant, "order").pk == draft.pk
    with pytest.raises(NotFound):
        selectors.published_version(tenant, "missing")


def test_another_tenants_version_is_not_found(tenant, make_tenant, document):
    version = publish_definition(tenant, document)
    other = make_tenant()
    with pytest.raises(NotFound):
        services.export_version(tenant=other, version_id=version.pk)
    with pytest.raises(NotFound):
        services.retire_version(tenant=other, version_id=version.pk)


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_export_then_import_gives_the_same_document(tenant, document, fmt):
    version = publish_definition(tenant, document)
    text = services.export_version(tenant=tenant, version_id=version.pk, fmt=fmt)
    draft = services.import_document(tenant=tenant, text=text, fmt=fmt)
    assert (draft.definition_id, draft.number) == (version.definition_id, 2)
    assert draft.document == version.document
    assert draft.checksum == version.checksum
    assert services.export_version(tenant=tenant, version_id=draft.pk, fmt=fmt) == text


def test_import_of_a_new_key_creates_the_definition(tenant):
    text = "format: workflow-island/v1\nkey: tiny\nname: Tiny\ninitial: a\n"
    text += "states:\n- name: a\n- name: b\n  kind: final\ntransitions:\n- from: a\n  to: b\n"
    draft = services.import_document(tenant=tenant, text=text, fmt="yaml")
    assert (draft.definition.key, draft.definition.name, draft.number) == ("tiny", "Tiny", 1)


def test_import_refuses_a_second_draft(tenant, document):
    services.create_definition(tenant=tenant, key="order", name="Order", document=document)
    with pytest.raises(Conflict) as caught:
        services.import_document(tenant=tenant, text='{"key": "order"}', fmt="json")
    assert caught.value.code == "draft_exists"


def test_definition_with_a_published_version_cannot_be_deleted(tenant, document):
    version = publish_definition(tenant, document)
    with pytest.raises(Conflict) as caught:
        services.delete_definition(tenant=tenant, definition_id=version.definition_id)
    assert caught.value.code == "definition_in_use"


def test_unused_definition_is_deleted_with_its_versions(tenant, document):
    version = publish_definition(tenant, document)
    services.retire_version(tenant=tenant, version_id=version.pk)
    services.new_draft(tenant=tenant, definition_id=version.definition_id)
    services.delete_definition(tenant=tenant, definition_id=version.definition_id)
    assert not selectors.definitions_for(tenant).exists()
    with tenant_scope(tenant):
        assert not State.objects.exists()


def test_version_created_as_published_gets_its_rows_and_is_frozen(tenant, document):
    with tenant_scope(tenant):
        definition = Definition.objects.create(tenant=tenant, key="order", name="Order")
        version = Version.objects.create(
            tenant=tenant, definition=definition, number=1, document=document, status="published"
        )
        assert State.objects.filter(version=version).count() == len(document["states"])
        assert HumanTaskSpec.objects.filter(state__version=version).count() == 1
    version.document = {}
    with pytest.raises(Conflict):
        version.save()
