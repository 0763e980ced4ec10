"""Checks of single fields: expressions and templates that must parse, durations in range.

Used by rules.py; each check yields ``(path, code, message)`` and trusts nothing about the
value's type (the schema reports types separately).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any, TypeGuard

from .conditions import ConditionError, parse_condition, parse_template
from .machine import parse_duration

Found = tuple[str, str, str]

# Roots an action's ``{{ placeholders }}`` may use: actions/templating.py provides
# ``data`` and ``instance``, ``secrets`` in headers, ``result`` in ``pending_when``;
# ``item`` is a fan-out child's item in branch data.
PARAM_ROOTS = ("data", "instance", "secrets", "result", "item")

# The longest duration anywhere: a year and a day (also keeps timer arithmetic in range).
MAX_DURATION = timedelta(days=366)


def duration_fields(document: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every duration in the document, with its path."""

    def fields(raw: Any, path: str, names: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
        if isinstance(raw, dict):
            for name in names:
                if raw.get(name) is not None:
                    yield f"{path}.{name}", raw[name]

    states = document.get("states")
    for i, state in enumerate(states if isinstance(states, list) else []):
        yield from fields(state, f"states[{i}]", ("timeout",))
        if isinstance(state, dict):
            yield from fields(state.get("task"), f"states[{i}].task", ("due",))
            yield from fields(
                state.get("wait"), f"states[{i}].wait", ("interval", "max_interval", "deadline")
            )
    transitions = document.get("transitions")
    for i, transition in enumerate(transitions if isinstance(transitions, list) else []):
        yield from fields(transition, f"transitions[{i}]", ("after",))
    actions = document.get("actions")
    for name, action in (actions if isinstance(actions, dict) else {}).items():
        yield from fields(action, f"actions.{name}", ("timeout",))
        if isinstance(action, dict):
            yield from fields(
                action.get("retry"), f"actions.{name}.retry", ("initial_interval", "max_interval")
            )
    dependencies = document.get("dependencies")
    for name, dependency in (dependencies if isinstance(dependencies, dict) else {}).items():
        if isinstance(dependency, dict):
            yield from fields(
                dependency.get("circuit_breaker"),
                f"dependencies.{name}.circuit_breaker",
                ("recovery_time",),
            )


def too_long_durations(document: dict[str, Any]) -> Iterator[Found]:
    for path, value in duration_fields(document):
        try:
            duration = parse_duration(value)
        except ValueError:
            continue  # the schema reports the form
        except OverflowError:
            duration = None
        if duration is None or duration > MAX_DURATION:
            yield path, "bad_duration", "is longer than 366 days, the limit"


def is_name(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value)


def expression_problems(text: Any, path: str, code: str, roots: tuple[str, ...]) -> Iterator[Found]:
    if not isinstance(text, str) or len(text) > 500:
        return  # the schema reports the type and length
    try:
        parse_condition(text, roots=roots)
    except ConditionError as error:
        where = f" (at character {error.position + 1})" if error.position is not None else ""
        yield path, code, f"{error.message}{where}"


def template_problems(value: Any, path: str) -> Iterator[Found]:
    """Every ``{{ placeholder }}`` in the strings of ``value`` (recursively) must parse."""
    if isinstance(value, str):
        if "{{" in value:
            try:
                parse_template(value, roots=PARAM_ROOTS)
            except ConditionError as error:
                yield path, "invalid_template", error.message
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from template_problems(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from template_problems(item, f"{path}[{index}]")
