"""A client generated from the live schema by openapi-python-client (a standard
generator, offline) starts an instance and completes its human task, with a real worker.

If this fails after an API change, the schema no longer describes what the API does
well enough for generated clients: fix the schema, not this test.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.factories import make_member, make_tenant, make_token
from tests.unit.api.conftest import APPROVAL

PACKAGE = "wi_generated_client"


def generate_client(schema_url: str, where: Path):
    schema = where / "schema.yaml"
    schema.write_bytes(httpx.get(schema_url, timeout=30).raise_for_status().content)
    bin_dir = Path(sys.executable).parent  # the generator formats its output with ruff
    done = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", str(schema),
         "--meta", "none", "--output-path", str(where / PACKAGE)],
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(where))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))


@pytest.fixture
def tokens(transactional_db):
    """A designer's token to publish the workflow, an operator's to run it."""
    tenant = make_tenant("generated", "Generated")
    issued = {}
    for role in ("designer", "operator"):
        user = make_member(tenant, role, f"gen-{role}", password="pw-x-123")
        issued[role] = make_token(tenant, user, name=f"generated {role}")[1]
    return issued


def until(fetch, holds, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if holds(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def test_a_generated_client_starts_an_instance_and_completes_its_task(
    live_server, start_worker, tokens, tmp_path
):
    wi = generate_client(f"{live_server.url}/api/schema/", tmp_path)
    from wi_generated_client.api.definitions import definitions_create, versions_publish_create
    from wi_generated_client.api.instances import instances_create, instances_retrieve
    from wi_generated_client.api.tasks import tasks_complete_create, tasks_list
    from wi_generated_client.models import (
        CompleteRequest,
        CompleteRequestData,
        DefinitionCreateRequest,
        Instance,
        StartRequest,
        StartRequestData,
        TasksListView,
        Version,
    )

    start_worker()
    designer = wi.AuthenticatedClient(base_url=live_server.url, token=tokens["designer"])
    document = {"format": "workflow-island/v1", **APPROVAL}
    draft = definitions_create.sync(
        client=designer,
        body=DefinitionCreateRequest(key="approval", name="Approval", document=document),
    )
    assert isinstance(draft, Version), draft
    assert versions_publish_create.sync(client=designer, id=draft.id).status.value == "published"

    # The rest is an operator's work: start, find the task, complete it, watch the end.
    client = wi.AuthenticatedClient(base_url=live_server.url, token=tokens["operator"])

    instance = instances_create.sync(
        client=client,
        body=StartRequest(
            definition="approval", data=StartRequestData.from_dict({"item": "a laptop"})
        ),
        idempotency_key="generated-1",
    )
    assert isinstance(instance, Instance), instance

    tasks = until(
        lambda: tasks_list.sync(client=client, view=TasksListView.UNASSIGNED).results,
        lambda found: len(found) == 1,
    )
    (task,) = tasks
    assert (task.instance, task.title) == (instance.id, "Review a laptop")
    done = tasks_complete_create.sync(
        client=client,
        id=task.id,
        body=CompleteRequest(
            decision="approve", data=CompleteRequestData.from_dict({"note": "ok"})
        ),
    )
    assert done.status.value == "completed", done

    final = until(
        lambda: instances_retrieve.sync(client=client, id=instance.id),
        lambda found: found.status.value == "completed",
    )
    assert (final.state, final.status.value) == ("approved", "completed")

    # Cancel with compensation is in the client: a JSON boolean next to the reason.
    from wi_generated_client.api.instances import instances_cancel_create
    from wi_generated_client.models import CancelRequest

    second = instances_create.sync(
        client=client,
        body=StartRequest(definition="approval", data=StartRequestData.from_dict({"item": "x"})),
    )
    cancelled = instances_cancel_create.sync(
        client=client, id=second.id, body=CancelRequest(compensate=True, reason="generated")
    )
    assert isinstance(cancelled, Instance), cancelled
    # Nothing of an approval is compensable: compensate cancels it outright.
    assert cancelled.status.value == "cancelled"
