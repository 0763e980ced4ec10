"""Schemathesis against the live OpenAPI schema: every operation, no server error, and
every response conforms to the schema (status code, content type, body, headers).

The schema is loaded from the running app's /api/schema/ (WSGI). The caller is an admin
of a tenant with one real row behind every detail endpoint (``world``): a published
definition with a waiting instance and its open human task, a second definition with a
draft, a dependency, an operator group with a teammate, the teammate's API token, a
webhook subscription and one of its deliveries. About half of the generated ids are
swapped for the real row's id (``with_real_ids``), so detail operations are exercised
on real rows as well as on missing and malformed ids.

Two tests: every operation on its own (examples, coverage and fuzzing phases), and a
stateful run that chains operations through the links Schemathesis infers from the
schema (a list's ids feed the detail operations, a create's id its follow-ups).
Hypothesis picks new inputs on every run; ``pytest --hypothesis-seed=N`` repeats one.

Real PostgreSQL in CI; it also runs on the embedded default (SQLite):
``env -u DATABASE_URL -u REDIS_URL pytest tests/integration/api/test_schemathesis.py``.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import checks

from tests.unit.api.conftest import (  # noqa: F401 - fixtures
    APPROVAL,
    api_as,
    fast_passwords,
    published,
    quiet_dispatch,
    run_worker,
)

# The coverage phase (boundary values of every parameter) is what finds odd ids and
# formats; examples and fuzzing add the documented examples and random valid input.
# The stateful phase must be on for the stateful test's links to be inferred.
PHASES = os.environ.get("WI_SCHEMATHESIS_PHASES", "examples,coverage,fuzzing,stateful").split(",")
# Per operation in the fuzzing phase; the module takes about 1.5 to 2.5 minutes on two
# busy cores (PostgreSQL), under a minute on SQLite.
MAX_EXAMPLES = int(os.environ.get("WI_SCHEMATHESIS_EXAMPLES", "15"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
SETTINGS = {
    "deadline": None,
    "suppress_health_check": list(HealthCheck),
    "database": None,  # the rows differ on every run: a replayed example means nothing
}


def load_schema():
    """The schema as the running app serves it at /api/schema/."""
    from workflow_platform.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/", application)


# Loaded at collection (no database needed: the schema view reads no rows). The lazy
# ``from_fixture`` loader does not work with pytest 9 (it sets a removed node attribute).
schema = load_schema()
schema.config.phases.update(phases=PHASES)


@pytest.fixture(autouse=True, scope="session")
def require_real_services():
    """Overrides the integration suite's guard: this module needs only a database."""


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Like Django's test client: the WSGI app must not close the test's connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(settings, tenant_a, make_member, make_token, published, run_worker):  # noqa: F811
    """The fuzzer's bearer header and the id of one real row per detail endpoint."""
    from workflow_platform.actions.encryption import encrypt
    from workflow_platform.definitions.models import Dependency
    from workflow_platform.definitions.services import create_definition
    from workflow_platform.engine.services import start_instance
    from workflow_platform.tenancy.models import Membership
    from workflow_platform.tenancy.scoping import tenant_scope
    from workflow_platform.tenancy.services import add_to_group
    from workflow_platform.webhooks.models import WebhookDelivery, WebhookSubscription
    from workflow_platform.webhooks.services import record_event
    from workflow_platform.webhooks.signing import new_secret
    from workflow_platform.worklist.models import HumanTask

    settings.WORKFLOW_API_RATE = "100000/min"  # fuzzing is not what throttling is for
    fuzzer = make_member(tenant_a, "admin", username="fuzzer")
    _, raw = make_token(tenant_a, fuzzer)
    teammate = make_member(tenant_a, "operator", username="teammate")
    teammates_token, _ = make_token(tenant_a, teammate, name="teammate's")
    group = add_to_group(tenant=tenant_a, group_name="reviewers", user=teammate)
    version = published(tenant_a, APPROVAL)
    instance = start_instance(tenant=tenant_a, definition_key="approval", data={"item": "x"})
    run_worker()
    draft = create_definition(tenant=tenant_a, key="drafty", name="Drafty", user=fuzzer)
    with tenant_scope(tenant_a):
        dependency = Dependency.objects.create(tenant=tenant_a, name="payments", rate_limit_tps=5)
        subscription = WebhookSubscription.objects.create(
            tenant=tenant_a, url="https://hooks.example.com/wi", events=["instance.completed"],
            secret_encrypted=encrypt(new_secret()),
        )  # fmt: skip
    record_event(tenant_id=tenant_a.pk, event="instance.completed", payload={"instance": {}})
    with tenant_scope(tenant_a):
        ids = {
            "/api/members/": Membership.objects.get(user=teammate).pk,  # never the fuzzer
            "/api/groups/": group.pk,
            "/api/tokens/": teammates_token.pk,  # revoking it leaves the fuzzer's alone
            "/api/definitions/": draft.definition_id,  # deletable: no instance, no publish
            "/api/dependencies/": dependency.pk,
            "/api/versions/": version.pk,
            "draft": draft.pk,
            "/api/instances/": instance.pk,
            "/api/tasks/": HumanTask.objects.get(instance=instance).pk,
            "/api/webhooks/": subscription.pk,
            "/api/webhook-deliveries/": WebhookDelivery.objects.get().pk,
        }
    return {"Authorization": f"Bearer {raw}"}, ids


# Operations that only make sense on a draft get the draft's id.
ON_THE_DRAFT = {("PUT", "/api/versions/{id}/"), ("POST", "/api/versions/{id}/publish/")}


def with_real_ids(case, ids: dict) -> None:
    """Swap the generated path ids for real ones about half the time (even values)."""
    parameters = case.path_parameters or {}
    generated = parameters.get("id")
    if isinstance(generated, int) and generated % 2 == 0:
        prefix = case.operation.path.split("{id}")[0]
        key = "draft" if (case.method.upper(), case.operation.path) in ON_THE_DRAFT else prefix
        if key in ids:
            parameters["id"] = ids[key]
    if isinstance(parameters.get("username"), str) and len(parameters["username"]) % 2 == 0:
        parameters["username"] = "teammate"


@schema.parametrize()
@hypothesis_settings(max_examples=MAX_EXAMPLES, **SETTINGS)
def test_every_operation_conforms_to_the_schema(case, world):
    headers, ids = world
    with_real_ids(case, ids)
    case.call_and_validate(headers=headers, checks=CHECKS)


class APIWorkflow(schema.as_state_machine()):
    """Each scenario starts from the same ``world``: its changes roll back after it.

    Hypothesis replays scenarios (to shrink a failure) and needs the same answers each
    time; a group deleted by an earlier scenario would make a later one flaky.
    """

    headers: dict = {}

    def setup(self):
        self.scenario = transaction.atomic()
        self.scenario.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self.scenario.__exit__(None, None, None)

    def get_call_kwargs(self, case):
        return {"headers": self.headers}

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)


def test_chained_operations_conform_to_the_schema(world):
    APIWorkflow.headers = world[0]
    APIWorkflow.run(
        settings=hypothesis_settings(
            max_examples=int(os.environ.get("WI_SCHEMATHESIS_SCENARIOS", "40")),
            stateful_step_count=8,
            **SETTINGS,
        )
    )
