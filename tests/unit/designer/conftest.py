"""Fixtures for the designer's unit tests: a draft with a small loan workflow."""

from __future__ import annotations

import pytest

from workflow_platform.definitions.services import create_definition

LOAN = {
    "format": "workflow-island/v1",
    "key": "loan",
    "name": "Loan",
    "initial": "received",
    "states": [
        {"name": "received", "position": {"x": 0, "y": 0}},
        {"name": "approved"},
        {"name": "rejected", "kind": "failed"},
        {"name": "closed", "kind": "final"},
    ],
    "transitions": [
        {
            "from": "received",
            "to": "approved",
            "on": "decide",
            "when": "data.amount <= 1000",
            "order": 1,
        },
        {
            "from": "received",
            "to": "rejected",
            "on": "decide",
            "when": "data.amount > 1000",
            "order": 2,
        },
        {"from": "approved", "to": "closed", "on": "auto"},
    ],
}


@pytest.fixture
def loan_document():
    import copy

    return copy.deepcopy(LOAN)


@pytest.fixture
def draft(tenant_a, loan_document):
    return create_definition(tenant=tenant_a, key="loan", name="Loan", document=loan_document)


@pytest.fixture
def designer_client(client, tenant_a, make_member):
    client.force_login(make_member(tenant_a, role="designer", username="dora"))
    return client


@pytest.fixture
def viewer_client(client, tenant_a, make_member):
    client.force_login(make_member(tenant_a, role="viewer", username="vic"))
    return client
