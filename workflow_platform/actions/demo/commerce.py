"""Orders and payments: seed 000's order processing and seed 002's bank payment."""

from __future__ import annotations

from typing import Any

from ..base import ActionCall, ActionResult, NonRetryableActionError
from ..registry import register_callable
from .polls import first_poll


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@register_callable("demo.validate_order")
def validate_order(call: ActionCall) -> dict[str, Any]:
    """Valid with at least one item and a positive total."""
    items, total = call.data.get("items"), call.data.get("total")
    if not isinstance(items, list) or not items:
        return {"valid": False, "reason": "The order has no items."}
    if not _number(total) or total <= 0:
        return {"valid": False, "reason": "The order total must be a positive number."}
    return {"valid": True, "reason": f"{len(items)} item(s), total {total}."}


@register_callable("demo.charge_payment")
def charge_payment(call: ActionCall) -> dict[str, Any]:
    """Captures ``total``; the payment id is the idempotency key's, so a retry is no
    second charge. ``data.card_declined`` makes the card decline (never retried)."""
    if call.data.get("card_declined"):
        raise NonRetryableActionError(
            f"The card for order {call.data.get('order_id')} was declined.", code="card_declined"
        )
    return {
        "payment_id": f"pay-{call.idempotency_key}",
        "status": "captured",
        "amount": call.data.get("total"),
    }


@register_callable("demo.refund_payment")
def refund_payment(call: ActionCall) -> dict[str, Any]:
    payment = call.data.get("payment") or {}
    return {
        "refund_id": f"ref-{call.idempotency_key}",
        "status": "refunded",
        "payment_id": payment.get("payment_id"),
    }


@register_callable("demo.fulfil_order")
def fulfil_order(call: ActionCall) -> dict[str, Any]:
    """Ships unless ``data.backorder`` is true (then an operator has to decide)."""
    if call.data.get("backorder"):
        return {"status": "backordered"}
    return {"status": "shipped", "shipment_id": f"shp-{call.idempotency_key}"}


@register_callable("demo.initiate_bank_payment")
def initiate_bank_payment(call: ActionCall) -> dict[str, Any]:
    amount = call.data.get("amount")
    if not _number(amount) or amount <= 0:
        raise NonRetryableActionError(
            "The payment amount must be a positive number.", code="bad_amount"
        )
    return {"reference": f"bank-{call.idempotency_key}"}


@register_callable("demo.bank_confirmation_status")
def bank_confirmation_status(call: ActionCall) -> ActionResult | dict[str, Any]:
    """No answer on the first poll; then ``data.bank_outcome`` (default "confirmed")."""
    if first_poll(call, f"bank:{call.data.get('payment_ref')}"):
        return ActionResult(pending=True)
    return {"status": call.data.get("bank_outcome") or "confirmed"}
