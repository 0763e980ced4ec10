"""On PostgreSQL, whose jsonb reorders an object's keys, a task form still shows its fields
in the order the designer wrote them, and numbers typed into it are stored as typed."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.factories import reload, run_until_idle, start
from tests.unit.engine.conftest import nudges  # noqa: F401 - fixture
from workflow_platform.definitions.models import Version
from workflow_platform.definitions.services import (
    create_definition,
    import_document,
    publish_version,
)
from workflow_platform.worklist.models import HumanTask

pytestmark = pytest.mark.django_db

# Written neither alphabetically nor in jsonb's order (shorter keys first).
FORM = {
    "type": "object",
    "properties": {
        "reviewer_name": {"type": "string"},
        "count": {"type": "integer"},
        "amount": {"type": "number"},
        "zone": {"type": "string"},
    },
}
WRITTEN = ["reviewer_name", "count", "amount", "zone"]


def document(key: str) -> dict:
    return {
        "format": "workflow-island/v1",
        "key": key,
        "name": key,
        "initial": "review",
        "states": [
            {
                "name": "review",
                "kind": "human",
                "task": {"title": "Review", "assign": {"group": "ops"}, "form": FORM},
            },
            {"name": "done", "kind": "final"},
        ],
        "transitions": [{"from": "review", "to": "done", "on": "approve"}],
    }


def field_order(html: str) -> list[str]:
    return re.findall(r'id="f-([a-z_]+)"', html)


@pytest.fixture
def task_of(tenant_a, nudges):  # noqa: F811
    def make(version: Version) -> HumanTask:
        instance = start(tenant_a, version)
        run_until_idle()
        return HumanTask.objects.for_tenant(tenant_a).get(instance=instance)

    return make


def test_the_inbox_shows_the_fields_in_the_order_they_were_written(client, tenant_a, ops, task_of):
    _, otto, _ = ops
    draft = create_definition(
        tenant=tenant_a, key="ordered", name="Ordered", document=document("ordered")
    )
    stored = Version.objects.for_tenant(tenant_a).get(pk=draft.pk).document
    form = stored["states"][0]["task"]["form"]
    assert list(form["properties"]) != WRITTEN  # the database's own order is lost ...
    assert form["x-order"] == WRITTEN  # ... the recorded one is not
    task = task_of(publish_version(tenant=tenant_a, version_id=draft.pk))

    client.force_login(otto)
    page = client.get(f"/inbox/tasks/{task.pk}/")
    assert page.status_code == 200
    assert field_order(page.content.decode()) == WRITTEN


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_an_imported_form_keeps_its_order_too(client, tenant_a, ops, task_of, fmt):
    _, otto, _ = ops
    doc = document(f"imported-{fmt}")
    text = json.dumps(doc)
    if fmt == "yaml":
        text = yaml.safe_dump(doc, sort_keys=False)
    draft = import_document(tenant=tenant_a, text=text, fmt=fmt)
    task = task_of(publish_version(tenant=tenant_a, version_id=draft.pk))
    client.force_login(otto)
    assert field_order(client.get(f"/inbox/tasks/{task.pk}/").content.decode()) == WRITTEN


def test_numbers_typed_into_the_form_are_stored_as_typed(client, tenant_a, ops, task_of):
    _, otto, _ = ops
    draft = create_definition(
        tenant=tenant_a, key="typed", name="Typed", document=document("typed")
    )
    task = task_of(publish_version(tenant=tenant_a, version_id=draft.pk))
    client.force_login(otto)
    client.post(f"/inbox/tasks/{task.pk}/claim/", {"revision": task.revision})
    answer = client.post(
        f"/inbox/tasks/{task.pk}/complete/",
        {"decision": "approve", "count": "3", "amount": "3", "zone": "eu"},
    )
    assert answer.status_code == 302, answer.content.decode()
    decided = reload(tenant_a, task).decision_data
    assert decided == {"count": 3, "amount": 3, "zone": "eu"}
    # Read back from jsonb: a float would have come back as 3.0.
    assert type(decided["count"]) is int and type(decided["amount"]) is int
