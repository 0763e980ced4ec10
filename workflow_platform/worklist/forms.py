"""The one check of a decision and its form data, used by every way of deciding a task.

The form is the state's ``task.form`` (a JSON Schema object). The inbox page shows these
same messages inline next to its fields (``tasks_inbox/forms_schema.py`` only renders
and parses); the API and the services raise them as one :class:`Unprocessable`.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, UnknownType

from workflow_platform.definitions.form_schemas import form_validator
from workflow_platform.errors import InvalidInput, Unprocessable

FORM_ERROR = "__all__"  # the key of a message about the whole form


def problems(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, str]:
    """Per-field messages for ``data`` against ``schema`` (empty when it is valid)."""
    if not schema:
        return {}
    try:
        Draft202012Validator.check_schema(schema)
        validator = form_validator(schema)
        found = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    except (SchemaError, UnknownType, RecursionError) as error:
        why = getattr(error, "message", None) or str(error).splitlines()[0]
        return {FORM_ERROR: f"This task's form is broken: {why}"}
    messages: dict[str, str] = {}
    for problem in found:
        if problem.validator == "required":
            name = problem.message.split("'")[1] if "'" in problem.message else FORM_ERROR
            messages.setdefault(name, "This field is required.")
        else:
            name = str(problem.path[0]) if problem.path else FORM_ERROR
            messages.setdefault(name, problem.message)
    return messages


def validate_form_data(schema: dict[str, Any], data: dict[str, Any]) -> None:
    """Raise Unprocessable("invalid_task_data") listing every field problem."""
    found = problems(schema, data)
    if found:
        raise Unprocessable(
            "invalid_task_data",
            "The form has errors; fix the marked fields.",
            details=[{"field": name, "message": message} for name, message in found.items()],
        )


def check_decision(task, decision: str, data: Any) -> dict[str, Any]:
    """``data`` as the decision stores it, or InvalidInput (not a choice of the task, not
    an object) / Unprocessable ``invalid_task_data`` with one detail per field."""
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise InvalidInput("invalid_form_data", "A decision's data must be a JSON object.")
    if decision not in (task.decisions or []):
        raise InvalidInput(
            "bad_decision",
            f"'{decision}' is not a choice of this task; choose one of "
            f"{', '.join(task.decisions or []) or 'nothing'}.",
        )
    validate_form_data(task.form, data)
    return data
