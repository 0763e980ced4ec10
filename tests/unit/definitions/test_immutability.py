"""A published version and its rows cannot change through any public ORM path."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.factories import publish_definition
from workflow_platform.definitions import services
from workflow_platform.definitions.models import (
    Action,
    HumanTaskSpec,
    State,
    Transition,
    Version,
    VersionStatus,
)
from workflow_platform.errors import Conflict
from workflow_platform.tenancy.models import OperatorGroup
from workflow_platform.tenancy.scoping import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant(make_tenant):
    tenant = make_tenant()
    OperatorGroup.objects.create(tenant=tenant, name="ops")
    return tenant


@pytest.fixture
def published(tenant, document):
    return publish_definition(tenant, document)


@pytest.fixture
def draft(tenant, published):
    return services.new_draft(tenant=tenant, definition_id=published.definition_id)


def _stored(version: Version) -> Version:
    return Version.objects.for_tenant(version.tenant).get(pk=version.pk)


def test_task_specs_of_a_published_version_refuse_bulk_update_and_delete(tenant, published):
    with tenant_scope(tenant):
        specs = HumanTaskSpec.objects.filter(state__version=published)
        with pytest.raises(Conflict):
            specs.update(title="Rewritten")
        with pytest.raises(Conflict):
            specs.delete()
        assert specs.get().title == "Review order {{ data.id }}"


def test_task_specs_of_a_draft_can_still_be_bulk_updated(tenant, draft):
    with tenant_scope(tenant):
        assert HumanTaskSpec.objects.filter(state__version=draft).update(priority=3) == 1


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (State, {"name": "extra"}),
        (Transition, {"source": "received", "target": "shipped"}),
        (Action, {"name": "extra", "type": "set"}),
    ],
)
def test_bulk_create_refuses_rows_for_a_published_version(tenant, published, model, fields):
    with tenant_scope(tenant):
        before = model.objects.filter(version=published).count()
        with pytest.raises(Conflict) as caught:
            model.objects.bulk_create(
                [model(tenant=tenant, version=published, position=99, **fields)]
            )
        assert caught.value.code == "version_not_draft"
        assert model.objects.filter(version=published).count() == before


def test_bulk_create_refuses_a_task_spec_for_a_published_state(tenant, published):
    with tenant_scope(tenant):
        state = State.objects.get(version=published, name="received")
        with pytest.raises(Conflict):
            HumanTaskSpec.objects.bulk_create(
                [HumanTaskSpec(tenant=tenant, state=state, title="x")]
            )
        assert not HumanTaskSpec.objects.filter(state=state).exists()


def test_bulk_create_still_adds_rows_to_a_draft(tenant, draft):
    with tenant_scope(tenant):
        State.objects.bulk_create([State(tenant=tenant, version=draft, position=99, name="x")])
        assert State.objects.filter(version=draft, name="x").exists()


def test_base_manager_cannot_rewrite_or_delete_a_published_version(published):
    with pytest.raises(Conflict):
        Version._base_manager.filter(pk=published.pk).update(document={})
    with pytest.raises(Conflict):
        Version._base_manager.filter(pk=published.pk).delete()
    with pytest.raises(Conflict):
        State._base_manager.filter(version=published).update(kind="final")
    with pytest.raises(Conflict):
        HumanTaskSpec._base_manager.filter(state__version=published).update(title="x")
    assert _stored(published).document == published.document


def test_upsert_cannot_rewrite_a_published_version(tenant, published):
    clone = Version(
        tenant=tenant,
        definition_id=published.definition_id,
        number=published.number,
        document={"rewritten": True},
        status=VersionStatus.PUBLISHED,
    )
    with tenant_scope(tenant), pytest.raises(Conflict) as caught:
        Version.objects.bulk_create(
            [clone],
            update_conflicts=True,
            unique_fields=["definition", "number"],
            update_fields=["document"],
        )
    assert caught.value.code == "upsert_refused"
    assert _stored(published).document == published.document


def test_upsert_of_version_rows_is_refused(tenant, published, draft):
    with tenant_scope(tenant):
        row = State.objects.filter(version=published).first()
        moved = State(pk=row.pk, tenant=tenant, version=draft, position=0, name="stolen")
        with pytest.raises(Conflict):
            State.objects.bulk_create(
                [moved], update_conflicts=True, unique_fields=["id"], update_fields=["name"]
            )
        assert State.objects.get(pk=row.pk).name == row.name


def test_a_draft_cannot_be_published_by_a_bulk_update(tenant, draft):
    with tenant_scope(tenant), pytest.raises(Conflict) as caught:
        Version.objects.filter(pk=draft.pk).update(status=VersionStatus.PUBLISHED)
    assert caught.value.code == "status_by_update"
    with pytest.raises(Conflict):
        Version._base_manager.filter(pk=draft.pk).update(status=VersionStatus.PUBLISHED)
    assert _stored(draft).status == VersionStatus.DRAFT


def test_bulk_update_of_a_published_versions_rows_is_refused(tenant, published):
    with tenant_scope(tenant):
        rows = list(State.objects.filter(version=published))
        for row in rows:
            row.kind = "final"
        with pytest.raises(Conflict), transaction.atomic():
            State.objects.bulk_update(rows, ["kind"])
        assert not State.objects.filter(version=published, kind="final", name="received").exists()


def test_rows_cannot_be_moved_into_or_out_of_a_published_version(tenant, published, draft):
    with tenant_scope(tenant):
        with pytest.raises(Conflict):
            State.objects.filter(version=draft).update(version=published)
        row = State.objects.filter(version=published).first()
        row.version = draft
        with pytest.raises(Conflict):
            row.save()
        assert State.objects.get(pk=row.pk).version_id == published.pk


def test_bulk_create_outside_a_scope_is_guarded_too(tenant, published):
    # Out of a scope django-scopes hands out its own queryset; the guard must stay.
    with pytest.raises(Conflict):
        State.objects.bulk_create([State(tenant=tenant, version=published, position=9, name="x")])
    with pytest.raises(Conflict):
        Version.objects.bulk_create([Version(tenant=tenant)], update_conflicts=True)


def test_related_rows_still_load_without_a_tenant_scope(tenant, published):
    with tenant_scope(tenant):
        spec = HumanTaskSpec.objects.select_related(None).get(state__version=published)
    # Foreign keys go through the (unscoped) base manager: no scope is needed.
    assert spec.state.version.pk == published.pk
