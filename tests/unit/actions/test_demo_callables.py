"""The demo callables of the seed templates: every name exists and each answers
deterministically (ids from the idempotency key, pending on the first poll)."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from workflow_platform.actions.base import ActionResult, NonRetryableActionError
from workflow_platform.actions.registry import callable_names, run_action
from workflow_platform.definitions.templates import TEMPLATE_DIR


def template_callables() -> set[str]:
    names = set()
    for path in TEMPLATE_DIR.glob("*.json"):
        for action in (json.loads(path.read_text()).get("actions") or {}).values():
            if action.get("type") == "python":
                names.add(action["params"]["callable"])
    return names


def test_every_callable_a_template_names_is_registered():
    assert template_callables(), "the templates name python callables"
    assert template_callables() - set(callable_names()) == set()


@pytest.fixture
def run(call_of):
    def run(name: str, data: dict | None = None, **kwargs) -> ActionResult:
        return run_action(call_of("python", {"callable": name}, data=data or {}, **kwargs))

    return run


@pytest.fixture(autouse=True)
def fresh_poll_counts():
    cache.clear()


@pytest.mark.parametrize(
    ("data", "valid"),
    [
        ({"items": [{"sku": "tea"}], "total": 9.0}, True),
        ({"items": [], "total": 9.0}, False),
        ({"items": [{"sku": "tea"}], "total": 0}, False),
        ({"items": [{"sku": "tea"}], "total": "9"}, False),
    ],
)
def test_validate_order_needs_items_and_a_positive_total(run, data, valid):
    assert run("demo.validate_order", data).output["valid"] is valid


def test_payment_id_comes_from_the_idempotency_key_so_retries_charge_once(run):
    first = run("demo.charge_payment", {"total": 9.0}, attempt=1).output
    retry = run("demo.charge_payment", {"total": 9.0}, attempt=2).output
    assert first == retry == {"payment_id": "pay-wi-7-3", "status": "captured", "amount": 9.0}


def test_declined_card_is_not_retried(run):
    with pytest.raises(NonRetryableActionError) as error:
        run("demo.charge_payment", {"card_declined": True})
    assert error.value.code == "card_declined"


def test_fulfilment_ships_unless_backordered(run):
    assert run("demo.fulfil_order", {}).output["status"] == "shipped"
    assert run("demo.fulfil_order", {"backorder": True}).output == {"status": "backordered"}


def test_trip_booking_fails_where_asked_and_cancellation_names_the_booking(run):
    flight = run("demo.book_flight", {"destination": "Lisbon", "fail_at": "car"}).output
    assert flight["reference"].startswith("FL-")
    with pytest.raises(NonRetryableActionError) as error:
        run("demo.book_car", {"destination": "Lisbon", "fail_at": "car"})
    assert error.value.code == "car_unavailable"
    cancelled = run("demo.cancel_flight", {"flight": flight}).output
    assert cancelled == {"cancelled": flight["reference"]}


@pytest.mark.parametrize(
    ("name", "data", "done"),
    [
        ("demo.scan_status", {"scan": {"scan_id": "s"}, "filename": "a.pdf"}, {"verdict": "clean"}),
        (
            "demo.scan_status",
            {"scan": {"scan_id": "s"}, "filename": "EICAR.com"},
            {"verdict": "infected"},
        ),
        ("demo.bank_confirmation_status", {"payment_ref": "r"}, {"status": "confirmed"}),
        (
            "demo.bank_confirmation_status",
            {"payment_ref": "r", "bank_outcome": "rejected"},
            {"status": "rejected"},
        ),
        (
            "demo.binary_scan_status",
            {"scan_job": {"job": "j"}, "malware": True},
            {"verdict": "malware"},
        ),
        ("demo.rollout_status", {"rollout": {"rollout_id": "ro-1"}}, {"percent": 100}),
    ],
)
def test_polled_jobs_are_pending_once_then_answer(run, name, data, done):
    assert run(name, data).pending is True
    answer = run(name, data)
    assert answer.pending is False
    assert done.items() <= answer.output.items()


def test_etl_plan_extract_transform_and_merge_add_up(run):
    plan = run("demo.plan_partitions", {"dataset": "sales", "day": "d", "partitions": 3}).output
    results = []
    for partition in plan["partitions"]:
        extracted = run("demo.extract_partition", {"partition": partition}).output
        again = run("demo.extract_partition", {"partition": partition}).output
        assert extracted == again
        data = {"partition": partition, "extracted": extracted}
        results.append({"result": run("demo.transform_partition", data).output})
    merged = run("demo.merge_partitions", {"partition_results": results}).output
    assert merged == {"partitions": 3, "rows": sum(r["result"]["rows"] for r in results)}


def test_etl_refuses_a_silly_plan(run):
    with pytest.raises(NonRetryableActionError):
        run("demo.plan_partitions", {"partitions": 0})


@pytest.mark.parametrize(
    ("data", "valid"),
    [
        ({"package": "p", "binary_url": "https://u.example/app.aab", "version_code": 1}, True),
        ({"package": "p", "binary_url": "http://u.example/app.aab", "version_code": 1}, False),
        ({"package": "p", "binary_url": "https://u.example/app.zip", "version_code": 1}, False),
        ({"package": "p", "binary_url": "https://u.example/app.apk", "version_code": 0}, False),
        ({"binary_url": "https://u.example/app.apk", "version_code": 1}, False),
    ],
)
def test_validate_binary(run, data, valid):
    assert run("demo.validate_binary", data).output["valid"] is valid


def test_version_update_must_grow_the_version_code(run):
    data = {"version_code": 2, "current_version_code": 1}
    assert run("demo.validate_version_update", data).output["valid"] is True
    data = {"version_code": 1, "current_version_code": 1}
    assert run("demo.validate_version_update", data).output["valid"] is False


# transaction=True: the callable runs on a helper thread with its own connection.
@pytest.mark.django_db(transaction=True)
def test_cancelling_an_unknown_submission_is_not_possible(run, tenant_a):
    answer = run(
        "demo.check_submission_cancellable",
        {"submission_instance_id": 999_999},
        tenant_id=tenant_a.pk,
    )
    assert answer.output["ok"] is False
    with pytest.raises(NonRetryableActionError):
        run("demo.withdraw_submission", {"submission_instance_id": 999_999}, tenant_id=tenant_a.pk)
