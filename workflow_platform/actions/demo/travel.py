"""Trip booking (seed 001's saga): flight, hotel and car, each with its cancellation.

``data.fail_at`` ("flight", "hotel" or "car") makes that booking fail for good, so the
saga compensates the bookings made before it.
"""

from __future__ import annotations

from typing import Any

from ..base import ActionCall, NonRetryableActionError
from ..registry import register_callable
from .polls import derived_id

_PREFIX = {"flight": "FL", "hotel": "HT", "car": "CR"}


def _book(call: ActionCall, kind: str) -> dict[str, Any]:
    if call.data.get("fail_at") == kind:
        raise NonRetryableActionError(
            f"No {kind} is available for {call.data.get('destination')}.",
            code=f"{kind}_unavailable",
        )
    dates = call.data.get("dates") or {}
    return {
        "reference": derived_id(_PREFIX[kind], call.idempotency_key).upper(),
        "destination": call.data.get("destination"),
        "from": dates.get("from"),
        "to": dates.get("to"),
    }


def _cancel(call: ActionCall, kind: str) -> dict[str, Any]:
    # A compensation may run for a booking that never got a reference: nothing to undo.
    booking = call.data.get(kind) or {}
    return {"cancelled": booking.get("reference")}


@register_callable("demo.book_flight")
def book_flight(call: ActionCall) -> dict[str, Any]:
    return _book(call, "flight")


@register_callable("demo.book_hotel")
def book_hotel(call: ActionCall) -> dict[str, Any]:
    return _book(call, "hotel")


@register_callable("demo.book_car")
def book_car(call: ActionCall) -> dict[str, Any]:
    return _book(call, "car")


@register_callable("demo.cancel_flight")
def cancel_flight(call: ActionCall) -> dict[str, Any]:
    return _cancel(call, "flight")


@register_callable("demo.cancel_hotel")
def cancel_hotel(call: ActionCall) -> dict[str, Any]:
    return _cancel(call, "hotel")


@register_callable("demo.cancel_car")
def cancel_car(call: ActionCall) -> dict[str, Any]:
    return _cancel(call, "car")
