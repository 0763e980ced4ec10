"""A valid order workflow that the definition tests start from and break on purpose."""

from __future__ import annotations

import copy

import pytest

ORDER_DOCUMENT = {
    "format": "workflow-island/v1",
    "key": "order",
    "name": "Order",
    "initial": "received",
    "states": [
        {"name": "received"},
        {
            "name": "review",
            "kind": "human",
            "task": {
                "title": "Review order {{ data.id }}",
                "assign": {"group": "ops"},
                "form": {"type": "object", "properties": {"note": {"type": "string"}}},
                "due": "1h",
            },
        },
        {
            "name": "paying",
            "kind": "wait",
            "wait": {"poll": "check_payment", "interval": "30s", "deadline": "1d"},
        },
        {"name": "shipped", "kind": "final"},
        {
            "name": "packing",
            "kind": "parallel",
            "parallel": {"map_over": "data.parcels", "workflow": "order", "join": "all"},
        },
        {"name": "rejected", "kind": "failed"},
    ],
    "transitions": [
        {"from": "received", "to": "review", "when": "data.total > 1000", "order": 1},
        {"from": "received", "to": "paying", "action": "charge"},
        {"from": "review", "to": "paying", "on": "approve", "action": "charge"},
        {"from": "review", "to": "rejected", "on": "reject"},
        {"from": "paying", "to": "packing", "on": "completed"},
        {"from": "paying", "to": "rejected", "on": "deadline"},
        {"from": "packing", "to": "shipped", "on": "joined"},
        {"from": "packing", "to": "rejected", "on": "join_failed"},
        {"from": "review", "to": "rejected", "on": "timer", "after": "2d"},
    ],
    "actions": {
        "charge": {
            "type": "http",
            "params": {
                "url": "https://bank.example/charges",
                "method": "POST",
                "body": {"amount": "{{ data.total }}"},
            },
            "dependency": "bank",
            "retry": {"max_attempts": 5, "initial_interval": "1s"},
            "compensation": "refund",
            "result_to": "payment",
        },
        "refund": {
            "type": "http",
            "params": {"url": "https://bank.example/refunds", "method": "POST"},
            "dependency": "bank",
        },
        "check_payment": {
            "type": "python",
            "params": {"callable": "demo.bank_confirmation_status"},
        },
    },
    "dependencies": {
        "bank": {
            "rate_limit": {"tps": 5, "burst": 10},
            "circuit_breaker": {"failure_threshold": 5, "recovery_time": "30s"},
        }
    },
}


def order_document() -> dict:
    return copy.deepcopy(ORDER_DOCUMENT)


@pytest.fixture
def document() -> dict:
    return order_document()
