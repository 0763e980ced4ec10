"""Fixtures shared by every suite: tenants, users with roles, API tokens."""

from __future__ import annotations

import pytest

from tests import factories
from workflow_platform.tenancy.scoping import tenant_scope


@pytest.fixture
def make_tenant(db):
    """``make_tenant(slug=None, name=None)``: :func:`tests.factories.make_tenant`."""
    return factories.make_tenant


@pytest.fixture
def make_member(db):
    """A user who is a member of ``tenant`` with ``role`` (password: 'pw-for-tests'):
    :func:`tests.factories.make_member`."""
    return factories.make_member


@pytest.fixture
def tenant_a(make_tenant):
    return make_tenant("tenant-a", "Tenant A")


@pytest.fixture
def tenant_b(make_tenant):
    return make_tenant("tenant-b", "Tenant B")


@pytest.fixture
def scoped(tenant_a):
    """Run the test body inside tenant A's scope."""
    with tenant_scope(tenant_a):
        yield tenant_a


@pytest.fixture
def make_token(db):
    """``make_token(tenant, user, name="test token")`` -> ``(token, raw)``."""
    return factories.make_token


@pytest.fixture(autouse=True)
def fresh_webhook_subscriptions():
    """Each test sees the database's subscriptions, not a view cached by an earlier test
    (SQLite gives a rolled-back tenant's id to the next test's tenant)."""
    from workflow_platform.webhooks.services import forget_subscriptions

    forget_subscriptions()
    yield
    forget_subscriptions()
