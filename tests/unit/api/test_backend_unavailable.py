"""A backend that is down or overloaded is a 503 with Retry-After, never a 500.

The database failures are injected with Django's own ``connection.execute_wrapper``: every
query the request makes raises what psycopg or SQLite raise when the server is gone, the
pool is empty, or the database is read-only. Real outages (PostgreSQL unreachable behind
a proxy) are in tests/reliability/test_backend_outage.py.
"""

from __future__ import annotations

import psycopg.errors
import pytest
import redis.exceptions
from django.db import DatabaseError, IntegrityError, InternalError, OperationalError, connection
from django.test import Client

from tests.factories import make_member
from workflow_platform.api.backends import unavailable_backend
from workflow_platform.engine.models import Instance
from workflow_platform.tenancy.scoping import all_tenants

PROBLEM = "application/problem+json"


def failing(error: Exception, *, on: str = ""):
    """Raise ``error`` for every query (or those naming the table ``on``)."""

    def wrapper(execute, sql, params, many, context):
        if on and on not in sql:
            return execute(sql, params, many, context)
        raise error

    return wrapper


def read_only() -> InternalError:
    """What Django raises for SQLSTATE 25006 (a hot standby, default_transaction_read_only)."""
    try:
        raise psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only tx")
    except psycopg.errors.ReadOnlySqlTransaction as cause:
        error = InternalError(str(cause))
        error.__cause__ = cause
        return error


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("connection failed: FATAL: sorry, too many clients already"),
        OperationalError("couldn't get a connection after 5.00 sec"),  # psycopg_pool timeout
        read_only(),
    ],
    ids=["too-many-clients", "pool-exhausted", "read-only"],
)
def test_the_api_answers_503_with_retry_after_and_writes_nothing(tenant_a, api_as, error):
    client = api_as(tenant_a, "operator")
    with connection.execute_wrapper(failing(error)):
        answer = client.post("/api/instances/", {"definition": "x", "data": {}}, format="json")
    assert answer.status_code == 503
    assert answer["Content-Type"] == PROBLEM and answer["Retry-After"] == "5"
    body = answer.json()
    assert body["code"] == "backend_unavailable" and body["backend"] == "database"
    assert "nothing was changed" in body["detail"] and "Traceback" not in answer.text
    with all_tenants():
        assert not Instance.objects.exists()


def test_a_page_answers_the_503_page_with_retry_after(tenant_a, settings):
    settings.WORKFLOW_BACKEND_RETRY_AFTER = 7
    # The tenancy middleware meets the failure first: handler500 answers (the test client
    # would re-raise the exception it handled).
    client = Client(raise_request_exception=False)
    client.force_login(make_member(tenant_a, "operator"))
    with connection.execute_wrapper(failing(OperationalError("server closed the connection"))):
        answer = client.get("/operations/instances/")
    assert answer.status_code == 503 and answer["Retry-After"] == "7"
    assert b"Temporarily unavailable" in answer.content and b"database" in answer.content


def test_a_view_that_meets_the_outage_answers_the_503_page(tenant_a):
    client = Client()  # the view's own failure: the middleware answers, nothing re-raised
    client.force_login(make_member(tenant_a, "operator"))
    with connection.execute_wrapper(failing(OperationalError("timeout"), on="engine_instance")):
        answer = client.get("/operations/instances/")
    assert answer.status_code == 503 and answer["Retry-After"] == "5"


def test_a_bug_is_still_a_500_not_a_503():
    assert unavailable_backend(IntegrityError("duplicate key")) is None
    assert unavailable_backend(DatabaseError("syntax error at or near")) is None
    assert unavailable_backend(ValueError("bad")) is None


def test_the_failing_backend_is_named_through_wrapped_causes():
    try:
        try:
            raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379")
        except redis.exceptions.ConnectionError as error:
            raise RuntimeError("channel layer send failed") from error
    except RuntimeError as wrapped:
        assert unavailable_backend(wrapped) == "redis"
    assert unavailable_backend(read_only()) == "database"
