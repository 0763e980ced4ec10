"""Schemathesis against the live OpenAPI schema: every operation, no server error, and
every response conforms to the schema (status code, content type, body, headers).

The schema is loaded from the running app's /api/schema/ (WSGI, real PostgreSQL). The
caller is an admin of a tenant that has a published definition, a running instance, an
open human task and a webhook subscription, so generated ids sometimes hit real rows.
Bounded: a few examples per operation, the whole run well under a minute.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
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
PHASES = os.environ.get("WI_SCHEMATHESIS_PHASES", "examples,coverage,fuzzing").split(",")
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


def load_schema():
    """The schema as the running app serves it at /api/schema/."""
    from workflow_platform.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/", application)


# Loaded at collection (no database needed: the schema view reads no rows). The lazy
# ``from_fixture`` loader does not work with pytest 9 (it sets a removed node attribute).
schema = load_schema()
schema.config.phases.update(phases=PHASES)


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """Like Django's test client: the WSGI app must not close the test's connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(settings, tenant_a, make_member, make_token, published, run_worker):  # noqa: F811
    settings.WORKFLOW_API_RATE = "100000/min"  # fuzzing is not what throttling is for
    admin = make_member(tenant_a, "admin", username="fuzzer")
    _, raw = make_token(tenant_a, admin)
    from workflow_platform.engine.services import start_instance

    published(tenant_a, APPROVAL)
    start_instance(tenant=tenant_a, definition_key="approval", data={"item": "x"})
    run_worker()
    return f"Bearer {raw}"


@schema.parametrize()
@hypothesis_settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_conforms_to_the_schema(case, bearer):
    case.call_and_validate(headers={"Authorization": bearer}, checks=CHECKS)
