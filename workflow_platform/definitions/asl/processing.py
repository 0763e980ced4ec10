"""A transition's ``asl`` block: Step Functions' input and output processing, in order.

The block (docs/definition-format.md, "ASL data processing") holds the fields of an ASL
state that shape its data: ``input_path``, ``parameters``, ``result``, ``result_selector``,
``result_path`` and ``output_path``. The engine asks :func:`effective_input` for what
the transition's action receives, and :func:`state_output` for the instance's data
after it, exactly as the specification orders them::

    input --InputPath--> --Parameters--> action --ResultSelector--> --ResultPath
          (merged into the state's input)--> --OutputPath--> output

A Pass state has no action: its result is ``result`` when given, else its effective
input. :func:`check_block` is run when a document is validated, so a bad path or an
unknown intrinsic is a located problem before anything runs. Runtime failures raise
:class:`ProcessingError` with Step Functions' error name (``States.Runtime``,
``States.IntrinsicFailure``).
"""

from __future__ import annotations

import copy
from typing import Any

from .intrinsics import IntrinsicError, is_intrinsic, parse_call, run_call
from .paths import PathError, check_reference_path, parse_path, put, select
from .values import stored, view

_ABSENT = object()


class ProcessingError(Exception):
    """Processing a state's data failed; ``error`` is Step Functions' error name."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(f"{error}: {message}")
        self.error = error


def check_block(block: dict[str, Any]) -> list[tuple[str, str]]:
    """Every problem of ``block`` as ``(field, message)``; empty when it is sound."""
    problems: list[tuple[str, str]] = []
    for name in ("input_path", "output_path"):
        if block.get(name) is not None:
            _check(problems, name, lambda v: parse_path(v), block[name])
    if block.get("result_path") is not None:
        _check(problems, "result_path", check_reference_path, block["result_path"])
    for name in ("parameters", "result_selector"):
        if name in block:
            problems.extend(check_template(block[name], name))
    if "result_key" in block and not isinstance(block["result_key"], str):
        problems.append(("result_key", "result_key names a key of the event's payload"))
    return problems


def _check(problems: list, field: str, checker: Any, value: Any) -> None:
    try:
        checker(value)
    except (PathError, IntrinsicError) as error:
        problems.append((field, str(error)))


def check_template(template: Any, where: str) -> list[tuple[str, str]]:
    """Problems of a payload template (``Parameters``, ``ResultSelector``)."""
    problems: list[tuple[str, str]] = []
    if isinstance(template, dict):
        for key, value in template.items():
            place = f"{where}.{key}"
            if key.endswith(".$"):
                if is_intrinsic(value):
                    _check(problems, place, parse_call, value)
                elif isinstance(value, str):
                    _check(problems, place, parse_path, value)
                else:
                    problems.append((place, "a key ending in '.$' needs a path or intrinsic"))
            else:
                problems.extend(check_template(value, place))
    elif isinstance(template, list):
        for index, item in enumerate(template):
            problems.extend(check_template(item, f"{where}[{index}]"))
    return problems


def fill_template(template: Any, data: Any) -> Any:
    """A payload template with its ``.$`` fields selected from (or computed over) ``data``."""
    if isinstance(template, dict):
        filled = {}
        for key, value in template.items():
            if key.endswith(".$"):
                filled[key[:-2]] = _dynamic(value, data)
            else:
                filled[key] = fill_template(value, data)
        return filled
    if isinstance(template, list):
        return [fill_template(item, data) for item in template]
    return template


def _dynamic(value: str, data: Any) -> Any:
    try:
        if is_intrinsic(value):
            return run_call(parse_call(value), data)
        return copy.deepcopy(select(value, data))
    except IntrinsicError as error:
        raise ProcessingError("States.IntrinsicFailure", str(error)) from None
    except PathError as error:
        raise ProcessingError("States.Runtime", str(error)) from None


def _path(text: Any, data: Any, *, default: Any) -> Any:
    """InputPath/OutputPath: ``$`` when absent, ``{}`` when null."""
    if text is _ABSENT:
        return data
    if text is None:
        return default
    try:
        return select(text, data)
    except PathError as error:
        raise ProcessingError("States.Runtime", str(error)) from None


def effective_input(block: dict[str, Any], data: Any) -> Any:
    """What the state's action (or a Pass state's result) works on."""
    value = _path(block.get("input_path", _ABSENT), data, default={})
    if "parameters" in block:
        value = fill_template(block["parameters"], value)
    return value


def state_output(block: dict[str, Any], data: Any, result: Any = _ABSENT) -> Any:
    """The state's output from its input ``data`` and its action's ``result``.

    Without ``result`` (a Pass state): ``block["result"]`` if given, else the effective
    input.
    """
    if result is _ABSENT:
        result = block["result"] if "result" in block else effective_input(block, data)
    elif "result_selector" in block:
        result = fill_template(block["result_selector"], result)
    return output_of(block, data, result)


def output_of(block: dict[str, Any], data: Any, result: Any) -> Any:
    """ResultPath, then OutputPath: ``result`` placed into the state's input ``data``."""
    result_path = block.get("result_path", "$")
    if result_path is None:
        merged = data
    else:
        try:
            merged = put(data, result_path, copy.deepcopy(result))
        except PathError as error:
            raise ProcessingError("States.Runtime", str(error)) from None
    return _path(block.get("output_path", _ABSENT), merged, default={})


def transition_output(
    block: dict[str, Any],
    data: dict[str, Any],
    result: Any,
    *,
    has_action: bool,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The instance's data after a transition with an ``asl`` block.

    ``result`` is the action's result (an ``ActionResult`` or a plain value, such as a
    caught error's ``{"Error", "Cause"}``); a transition without action and result is a
    Pass state; with ``result_key`` the result is that list of the event's ``payload``
    (the children's data a ``joined`` event gathers). ``data`` holds the state's input
    as :mod:`.values` stores it, and the output is stored the same way (a value that is
    not an object as ``{"$": value}``).
    """
    state_input = view(data)
    if block.get("result_key") == "$":
        # A returned task token: its payload (stored as an ASL value) is the result.
        return stored(state_output(block, state_input, view(payload or {})))
    if "result_key" in block:
        # A fan-in: the children's outputs (stored as ASL values) in order.
        values = (payload or {}).get(block["result_key"]) or []
        outputs = [None if value is None else view(value) for value in values]
        return stored(state_output(block, state_input, outputs))
    if not has_action and result is None:
        output = state_output(block, state_input)
    else:
        output = state_output(block, state_input, getattr(result, "output", result))
    return stored(output)


def action_input(block: dict[str, Any], data: dict[str, Any]) -> Any:
    """What the transition's action receives: the effective input of the stored input."""
    return effective_input(block, view(data))
