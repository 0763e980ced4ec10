"""Fixtures shared by every suite: tenants, users with roles, API tokens."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth import get_user_model

from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.tenancy.services import add_member, create_tenant, issue_api_token

_counter = itertools.count(1)


@pytest.fixture
def make_tenant(db):
    def make(slug: str | None = None, name: str | None = None):
        slug = slug or f"tenant-{next(_counter)}"
        return create_tenant(slug=slug, name=name or slug.title())

    return make


@pytest.fixture
def make_member(db):
    """A user who is a member of ``tenant`` with ``role`` (password: 'pw-for-tests')."""

    def make(tenant, role: str = "operator", username: str | None = None, **extra):
        User = get_user_model()
        user = User.objects.create_user(
            username=username or f"user-{next(_counter)}", password="pw-for-tests", **extra
        )
        add_member(tenant=tenant, user=user, role=role)
        return user

    return make


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
    def make(tenant, user, name: str = "test token"):
        return issue_api_token(tenant=tenant, user=user, name=name)

    return make


@pytest.fixture(autouse=True)
def fresh_webhook_subscriptions():
    """Each test sees the database's subscriptions, not a view cached by an earlier test
    (SQLite gives a rolled-back tenant's id to the next test's tenant)."""
    from workflow_platform.webhooks.services import forget_subscriptions

    forget_subscriptions()
    yield
    forget_subscriptions()
