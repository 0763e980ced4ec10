"""The ``set`` action type: compute values and set them in the instance's data.

Params: ``{"set": {"key": value-or-"{{ placeholder }}"}, "expr": {"key": "expression"}}``.
``set`` values are JSON with placeholders (a string that is one placeholder keeps its
type); ``expr`` values are guard-language expressions evaluated against ``data``. Both
read the data as it was before the action (no key sees another's new value), and the
engine applies ``data_updates`` in the same commit as the transition.
"""

from __future__ import annotations

from typing import Any

from workflow_platform.definitions.conditions import ConditionError, evaluate_condition

from ..base import ActionCall, ActionResult, NonRetryableActionError
from ..registry import register_action_type
from ..templating import render_value, template_names


@register_action_type("set")
def run_set(call: ActionCall) -> ActionResult:
    params = call.action.params
    values = params.get("set") or {}
    expressions = params.get("expr") or {}
    if not isinstance(values, dict) or not isinstance(expressions, dict):
        raise NonRetryableActionError(
            "params.set and params.expr must be objects of data keys.", code="bad_params"
        )
    if not values and not expressions:
        raise NonRetryableActionError(
            f"Action '{call.action.name}' sets nothing: give params.set or params.expr.",
            code="bad_params",
        )
    names = template_names(call)
    updates: dict[str, Any] = {
        key: render_value(value, names, where=f"params.set.{key}") for key, value in values.items()
    }
    for key, expression in expressions.items():
        try:
            updates[key] = evaluate_condition(expression, names)
        except (ConditionError, TypeError) as error:
            raise NonRetryableActionError(
                f"Action '{call.action.name}' could not compute '{key}' "
                f"({expression[:80]}): {error}",
                code="expression_failed",
            ) from None
    return ActionResult(data_updates=updates)
