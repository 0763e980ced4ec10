"""A real HTTP dependency on loopback and calls built the way the engine builds them."""

from __future__ import annotations

import pytest

from tests.integration.actions.dependency_server import DependencyServer
from tests.unit.actions.conftest import make_call


@pytest.fixture
def dependency():
    server = DependencyServer().start()
    yield server
    server.stop()


@pytest.fixture
def private_tenant(make_tenant):
    """A tenant that lets its HTTP actions call loopback (where the test server is)."""
    return make_tenant(allow_private_network=True)


@pytest.fixture
def http_call(private_tenant):
    def make(params: dict, **kwargs):
        kwargs.setdefault("allow_private_network", private_tenant.allow_private_network)
        return make_call("http", params, tenant_id=private_tenant.pk, **kwargs)

    return make
