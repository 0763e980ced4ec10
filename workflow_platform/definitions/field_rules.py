"""Checks of single fields: expressions and templates that must parse, durations in range.

Used by rules.py; each check yields ``(path, code, message)`` and trusts nothing about the
value's type (the schema reports types separately).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from .conditions import ConditionError, parse_condition, parse_template
from .machine import parse_duration

Found = tuple[str, str, str]

# Roots an action's ``{{ placeholders }}`` may use: actions/templating.py provides
# ``data`` and ``instance``, ``secrets`` in headers, ``result`` in ``pending_when``;
# ``item`` is a fan-out child's item in branch data.
PARAM_ROOTS = ("data", "instance", "secrets", "result", "item")

# The URL schemes an action may call (the http client refuses any other at run time).
URL_SCHEMES = ("http", "https")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")

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


def url_problems(value: Any, path: str, action: str) -> Iterator[Found]:
    """An action's URL must be http(s) with a host, unless a placeholder gives its start.

    A URL that begins with ``{{ ... }}`` gets its scheme and host from the data at run
    time; the http client then refuses anything but http(s) (``bad_url``). Otherwise the
    scheme is written in the definition and is checked here, before publishing.
    """
    if not isinstance(value, str) or not value.strip():
        return  # missing_param reports it
    text = value.strip()
    if text.startswith("{{"):
        return
    written = text.split("{{", 1)[0]
    scheme = _SCHEME.match(written)
    if scheme is None:
        yield (
            path,
            "bad_url",
            f"action '{action}' calls '{_short(text)}', which does not start with "
            "http:// or https:// (or a placeholder giving the whole start)",
        )
        return
    if scheme.group(1).lower() not in URL_SCHEMES:
        yield (
            path,
            "bad_url",
            f"action '{action}' calls a {scheme.group(1).lower()}: URL; "
            "only http:// and https:// URLs can be called",
        )
        return
    if "{{" in text:
        authority = written[scheme.end() :].removeprefix("//")
        if not re.search(r"[/?#]", authority):
            return  # the host is (partly) a placeholder: the client checks it when filled
    try:
        parts = urlsplit(written)
        host = parts.hostname
    except ValueError:
        host, parts = None, None
    if not host:
        yield path, "bad_url", f"action '{action}' calls '{_short(text)}', a URL without a host"
    elif parts is not None and (parts.username or parts.password):
        yield (
            path,
            "bad_url",
            f"action '{action}' puts credentials in its URL; use params.auth with a secret",
        )


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."
