"""The set action computes data updates; the subworkflow action asks for a child."""

from __future__ import annotations

import pytest

from workflow_platform.actions.base import ChildStart, NonRetryableActionError
from workflow_platform.actions.registry import run_action


def test_set_keeps_the_type_of_a_single_placeholder_and_renders_text(call_of):
    call = call_of(
        "set",
        {
            "set": {
                "status": "approved",
                "amount": "{{ data.total }}",
                "items": "{{ data.items }}",
                "note": "Order {{ data.id }} for {{ data.total }} EUR",
            }
        },
        data={"id": "A-1", "total": 120, "items": [1, 2]},
    )
    assert run_action(call).data_updates == {
        "status": "approved",
        "amount": 120,
        "items": [1, 2],
        "note": "Order A-1 for 120 EUR",
    }


def test_set_evaluates_expressions_against_the_data_before_the_action(call_of):
    call = call_of(
        "set",
        {"set": {"total": 0}, "expr": {"big": "data.total >= 100", "net": "data.total * 0.8"}},
        data={"total": 150},
    )
    assert run_action(call).data_updates == {"total": 0, "big": True, "net": 120.0}


def test_set_with_a_broken_expression_is_not_retryable(call_of):
    with pytest.raises(NonRetryableActionError) as error:
        run_action(call_of("set", {"expr": {"x": "data.total +"}}))
    assert "could not compute 'x' (data.total +)" in str(error.value)
    assert "params." not in str(error.value)  # in the operator's words, not the format's


def test_set_with_nothing_to_set_is_refused(call_of):
    with pytest.raises(NonRetryableActionError):
        run_action(call_of("set", {}))


def test_subworkflow_returns_the_child_to_start_with_templated_data(call_of):
    call = call_of(
        "subworkflow",
        {"workflow": "kyc-check", "data": {"customer": "{{ data.customer }}", "level": 2}},
        data={"customer": {"id": 9}},
    )
    result = run_action(call)
    assert result.child == ChildStart(
        definition_key="kyc-check", data={"customer": {"id": 9}, "level": 2}
    )


def test_subworkflow_without_a_workflow_key_is_refused(call_of):
    with pytest.raises(NonRetryableActionError):
        run_action(call_of("subworkflow", {"data": {}}))


def test_secrets_cannot_be_copied_into_data(call_of):
    with pytest.raises(NonRetryableActionError) as error:
        run_action(call_of("set", {"set": {"leak": "{{ secrets.payments_key }}"}}))
    assert "only be used in params.headers" in str(error.value)


def test_placeholders_may_use_the_instance(call_of):
    call = call_of("set", {"set": {"ref": "{{ instance.idempotency_key }}/{{ instance.attempt }}"}})
    assert run_action(call).data_updates == {"ref": "wi-7-3/1"}
