"""Documents the resilience specs run against real workers."""

from __future__ import annotations


def http(url: str, **params) -> dict:
    return {
        "type": "http",
        "params": {"method": "POST", "url": url, "body": {"i": "{{ data.i }}"}, **params},
        "timeout": "10s",
        "retry": {"max_attempts": 10, "initial_interval": "200ms", "jitter": 0.1},
    }


def saga(url: str) -> dict:
    """reserve → charge → ship (fails for good); reserve and charge have compensations."""
    return {
        "key": "order-saga",
        "initial": "new",
        "states": [{"name": "new"}, {"name": "reserved"}, {"name": "charged"},
                   {"name": "shipped", "kind": "final"}],
        "transitions": [
            {"from": "new", "to": "reserved", "action": "reserve"},
            {"from": "reserved", "to": "charged", "action": "charge"},
            {"from": "charged", "to": "shipped", "action": "ship"},
        ],
        "actions": {
            "reserve": {**http(f"{url}/reserve"), "compensation": "unreserve"},
            "charge": {**http(f"{url}/charge"), "compensation": "refund"},
            "ship": {"type": "python", "params": {"callable": "fail"}},
            "unreserve": http(f"{url}/unreserve"),
            "refund": http(f"{url}/refund"),
        },
    }  # fmt: skip


def export(url: str, *, poll_interval: str) -> dict:
    """submit (hands out the wait token) → awaiting (polls the job) → done."""
    submit = http(f"{url}/submit")
    submit["params"]["body"] = {"i": "{{ data.i }}", "token": "{{ data.wait.token }}"}
    poll = http(f"{url}/job", pending_when="result.state != 'done'")
    return {
        "key": f"export-{poll_interval}",
        "initial": "new",
        "states": [{"name": "new"},
                   {"name": "awaiting", "kind": "wait",
                    "wait": {"poll": "check", "interval": poll_interval, "backoff": 2,
                             "max_interval": "1s", "deadline": "5m"}},
                   {"name": "done", "kind": "final"}, {"name": "expired", "kind": "final"}],
        "transitions": [
            {"from": "new", "to": "awaiting", "action": "submit"},
            {"from": "awaiting", "to": "done", "on": "completed"},
            {"from": "awaiting", "to": "expired", "on": "deadline"},
        ],
        "actions": {"submit": submit, "check": poll},
    }  # fmt: skip


def fan(url: str, *, items: int, concurrency: int) -> tuple[dict, dict]:
    """A parent mapping over ``items`` numbers, each a child making one effect."""
    child = {
        "key": "fan-item",
        "initial": "go",
        "states": [{"name": "go"}, {"name": "done", "kind": "final"}],
        "transitions": [{"from": "go", "to": "done", "action": "effect"}],
        "actions": {"effect": {**http(f"{url}/item"), "result_to": "effect"}},
    }
    parent = {
        "key": "fan-parent",
        "initial": "fan",
        "states": [{"name": "fan", "kind": "parallel",
                    "parallel": {"map_over": "data.numbers", "workflow": "fan-item",
                                 "item_as": "i", "concurrency": concurrency,
                                 "results_to": "results"}},
                   {"name": "done", "kind": "final"}],
        "transitions": [{"from": "fan", "to": "done", "on": "joined"}],
    }  # fmt: skip
    return child, parent
