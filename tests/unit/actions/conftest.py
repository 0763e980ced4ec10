"""Calls to action types, built the way the engine builds them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.actions.dependency_server import DependencyServer
from workflow_platform.actions.base import ActionCall
from workflow_platform.definitions.machine import Action, RetryPolicy


def make_call(
    action_type: str,
    params: dict | None = None,
    *,
    data: dict | None = None,
    attempt: int = 1,
    timeout: float = 5,
    non_retryable: tuple[str, ...] = (),
    allow_private_network: bool = False,
    tenant_id: int = 1,
    instance_id: int = 7,
    step: int = 3,
) -> ActionCall:
    action = Action(
        name="do_it",
        type=action_type,
        params=params or {},
        timeout=timedelta(seconds=timeout),
        retry=RetryPolicy(non_retryable=non_retryable),
    )
    return ActionCall(
        tenant_id=tenant_id,
        instance_id=instance_id,
        step=step,
        idempotency_key=f"wi-{instance_id}-{step}",
        action=action,
        data=data or {},
        attempt=attempt,
        allow_private_network=allow_private_network,
    )


@pytest.fixture
def call_of():
    return make_call


@pytest.fixture
def dependency():
    server = DependencyServer().start()
    yield server
    server.stop()
