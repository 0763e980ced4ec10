"""The shipped seed templates validate, install idempotently and are documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow_platform.definitions.machine import compile_machine
from workflow_platform.definitions.models import Definition, Version, VersionStatus
from workflow_platform.definitions.templates import install_templates, template_documents
from workflow_platform.definitions.validation import validate_document
from workflow_platform.tenancy.models import OperatorGroup
from workflow_platform.tenancy.scoping import tenant_scope

TEMPLATES = template_documents()
DOCS = (Path(__file__).resolve().parents[3] / "docs" / "templates.md").read_text()
SEED_KEYS = {
    "order-processing",
    "trip-booking",
    "support-ticket",
    "upload-scan",
    "etl-partitions",
    "etl-partition",
    "bank-payment",
    "app-submission",
    "app-version-update",
    "app-submission-cancel",
}


def test_every_seed_workflow_is_shipped():
    assert {t["key"] for t in TEMPLATES} == SEED_KEYS


@pytest.mark.parametrize("template", TEMPLATES, ids=[t["key"] for t in TEMPLATES])
def test_template_validates_and_compiles(template):
    assert validate_document(template) == []
    machine = compile_machine(template)
    assert machine.initial in machine.states


@pytest.mark.parametrize("template", TEMPLATES, ids=[t["key"] for t in TEMPLATES])
def test_template_and_its_callables_are_documented(template):
    assert f"`{template['key']}`" in DOCS
    for action in (template.get("actions") or {}).values():
        if action["type"] == "python":
            assert f"`{action['params']['callable']}`" in DOCS


def test_saga_template_compensates_every_booking():
    trip = next(t for t in TEMPLATES if t["key"] == "trip-booking")
    bookings = [name for name in trip["actions"] if name.startswith("book_")]
    assert {trip["actions"][b]["compensation"] for b in bookings} == {
        "cancel_flight",
        "cancel_hotel",
        "cancel_car",
    }


@pytest.mark.django_db
def test_install_publishes_v1_of_each_template_once(make_tenant):
    tenant = make_tenant()
    assert sorted(install_templates(tenant=tenant)) == sorted(SEED_KEYS)
    assert install_templates(tenant=tenant) == []
    with tenant_scope(tenant):
        assert Definition.objects.count() == len(SEED_KEYS)
        assert set(Version.objects.values_list("number", "status").distinct()) == {
            (1, VersionStatus.PUBLISHED)
        }
        assert {"ops", "finance", "support"} <= set(
            OperatorGroup.objects.values_list("name", flat=True)
        )
