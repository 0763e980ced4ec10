"""The ``subworkflow`` action type: ask the engine to start a child instance.

Params: ``{"workflow": "<definition key>", "data": {...}}`` with placeholders in the data.
The action itself starts nothing: it returns a :class:`ChildStart` and the engine starts
the child in the same commit as the parent's step (so a retry cannot start two), then
continues the parent when the child ends.
"""

from __future__ import annotations

from ..base import ActionCall, ActionResult, ChildStart, NonRetryableActionError
from ..registry import register_action_type
from ..templating import render_value, template_names


@register_action_type("subworkflow")
def run_subworkflow(call: ActionCall) -> ActionResult:
    params = call.action.params
    key = params.get("workflow")
    if not key or not isinstance(key, str):
        raise NonRetryableActionError(
            f"Action '{call.action.name}' needs params.workflow, the child's definition key.",
            code="bad_params",
        )
    data = render_value(params.get("data") or {}, template_names(call), where="params.data")
    if not isinstance(data, dict):
        raise NonRetryableActionError(
            "params.data must be an object (the child's data).", code="bad_params"
        )
    return ActionResult(child=ChildStart(definition_key=key, data=data))
