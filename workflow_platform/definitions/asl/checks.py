"""The rules of the Amazon States Language a machine must keep before it is translated.

Each problem is located: its ``path`` is where in the machine (``States.Check.Next``),
its message says what is wrong and names that place, as Step Functions' own validator
would refuse the machine. Constructs that are valid ASL but that the platform does not
run (``Parallel``, ``Map``, the context object, service integrations) are refused by
the translator (``importer.py``) with ``unsupported_asl``.
"""

from __future__ import annotations

from typing import Any, TypeGuard

from .callbacks import waits_for_token, with_token
from .choice import is_timestamp, rule_problems
from .paths import PathError, check_reference_path, parse_path
from .processing import check_template

STATE_TYPES = ("Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")
_COMMON = {"Type", "Comment", "QueryLanguage"}
_FLOW = {"Next", "End"}
_IO = {"InputPath", "OutputPath"}
FIELDS: dict[str, set[str]] = {
    "Task": _COMMON
    | _FLOW
    | _IO
    | {
        "Resource",
        "Parameters",
        "ResultSelector",
        "ResultPath",
        "TimeoutSeconds",
        "TimeoutSecondsPath",
        "HeartbeatSeconds",
        "HeartbeatSecondsPath",
        "Retry",
        "Catch",
        "Credentials",
        "Arguments",
        "Output",
        "Assign",
    },
    "Pass": _COMMON | _FLOW | _IO | {"Result", "ResultPath", "Parameters", "Output", "Assign"},
    "Choice": _COMMON | _IO | {"Choices", "Default", "Output", "Assign"},
    "Wait": _COMMON
    | _FLOW
    | _IO
    | {
        "Seconds",
        "Timestamp",
        "SecondsPath",
        "TimestampPath",
        "Output",
        "Assign",
    },
    "Succeed": _COMMON | _IO | {"Output"},
    "Fail": _COMMON | {"Error", "Cause", "ErrorPath", "CausePath"},
    "Parallel": _COMMON
    | _FLOW
    | _IO
    | {
        "Branches",
        "Parameters",
        "ResultSelector",
        "ResultPath",
        "Retry",
        "Catch",
        "Arguments",
        "Output",
        "Assign",
    },
    "Map": _COMMON
    | _FLOW
    | _IO
    | {
        "Iterator",
        "ItemProcessor",
        "ItemsPath",
        "ItemSelector",
        "Parameters",
        "MaxConcurrency",
        "MaxConcurrencyPath",
        "ResultSelector",
        "ResultPath",
        "Retry",
        "Catch",
        "ItemReader",
        "ResultWriter",
        "ItemBatcher",
        "ToleratedFailureCount",
        "ToleratedFailurePercentage",
        "ToleratedFailureCountPath",
        "ToleratedFailurePercentagePath",
        "Label",
        "Items",
        "Arguments",
        "Output",
        "Assign",
    },
}
MAX_NAME = 80
TOP_FIELDS = {"StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage",
              "ProcessorConfig"}  # fmt: skip

Located = tuple[str, str]  # (path, message naming the place)


def machine_problems(machine: Any) -> list[Located]:
    """Every rule of the specification ``machine`` breaks, located; empty when valid."""
    if not isinstance(machine, dict):
        return [("", "a state machine is a JSON object")]
    problems: list[Located] = []
    states = machine.get("States")
    if not isinstance(states, dict) or not states:
        problems.append(("States", "the machine needs 'States', an object of at least one state"))
        states = {}
    start = machine.get("StartAt")
    if not isinstance(start, str):
        problems.append(("StartAt", "the machine needs 'StartAt', the name of its first state"))
    elif states and start not in states:
        problems.append(("StartAt", f"StartAt names no state: there is no state '{start}'"))
    for field in machine:
        if field not in TOP_FIELDS:
            problems.append((field, f"the field '{field}' is not allowed at the top of a machine"))
    version = machine.get("Version", "1.0")
    if version != "1.0":
        problems.append(("Version", f"Version '{version}' is not '1.0'"))
    for name, state in states.items():
        problems.extend(_state(name, state, states))
    if states and not any(_is_terminal(s) for s in states.values() if isinstance(s, dict)):
        problems.append(("States", "the machine has no terminal state (End, Succeed or Fail)"))
    if isinstance(start, str) and start in states:
        problems.extend(_unreachable(start, states))
    return problems


def _is_terminal(state: dict) -> bool:
    return state.get("Type") in ("Succeed", "Fail") or state.get("End") is True


def _state(name: str, state: Any, states: dict) -> list[Located]:
    where = f"States.{name}"
    if len(name) > MAX_NAME:
        return [(where, f"the state name '{name[:20]}…' is longer than {MAX_NAME} characters")]
    if not isinstance(state, dict):
        return [(where, f"the state '{name}' is not an object")]
    kind = state.get("Type")
    if kind not in STATE_TYPES:
        return [(f"{where}.Type", f"'{kind}' is not a state type at `{where}.Type`")]
    problems = [
        (f"{where}.{field}", f"the field '{field}' is not allowed in a {kind} state at `{where}`")
        for field in state
        if field not in FIELDS[kind]
    ]
    problems += _flow(where, kind, state, states)
    problems += _paths(where, state)
    if kind == "Task":
        problems += _task(where, state, states)
    elif kind == "Choice":
        problems += _choice(where, state, states)
    elif kind == "Wait":
        times = [f for f in ("Seconds", "Timestamp", "SecondsPath", "TimestampPath") if f in state]
        if len(times) != 1:
            problems.append(
                (
                    where,
                    f"a Wait state needs exactly one of Seconds, Timestamp, SecondsPath, "
                    f"TimestampPath at `{where}`",
                )
            )
        stamp = state.get("Timestamp")
        if "Timestamp" in state and not is_timestamp(stamp):
            problems.append(
                (f"{where}.Timestamp", f"Timestamp must be an RFC 3339 timestamp at `{where}`")
            )
        for field in ("SecondsPath", "TimestampPath"):
            if field in state:
                problems += _parse(f"{where}.{field}", check_reference_path, state[field])
        seconds = state.get("Seconds")
        if "Seconds" in state and (not _is_int(seconds) or seconds < 0):
            problems.append(
                (f"{where}.Seconds", f"Seconds must be a whole number ≥ 0 at `{where}`")
            )
    elif kind == "Map":
        processor = state.get("ItemProcessor", state.get("Iterator"))
        if not isinstance(processor, dict):
            problems.append((where, f"a Map state needs an ItemProcessor at `{where}`"))
        if state.get("ItemsPath") is not None:
            problems += _parse(f"{where}.ItemsPath", check_reference_path, state["ItemsPath"])
        concurrency = state.get("MaxConcurrency", 0)
        if not _is_int(concurrency) or concurrency < 0:
            problems.append(
                (
                    f"{where}.MaxConcurrency",
                    f"MaxConcurrency must be a whole number ≥ 0 at `{where}`",
                )
            )
    elif kind == "Parallel":
        branches = state.get("Branches")
        if not isinstance(branches, list) or not branches:
            problems.append(
                (where, f"a Parallel state needs a non-empty list of Branches at `{where}`")
            )
        elif not all(isinstance(branch, dict) for branch in branches):
            problems.append((f"{where}.Branches", f"each branch is a state machine at `{where}`"))
    elif kind == "Fail":
        for field in ("Error", "Cause"):
            if field in state and not isinstance(state[field], str):
                problems.append((f"{where}.{field}", f"{field} must be a string at `{where}`"))
    return problems


def _flow(where: str, kind: str, state: dict, states: dict) -> list[Located]:
    problems: list[Located] = []
    if kind in ("Choice", "Succeed", "Fail"):
        return problems
    has_next, ends = "Next" in state, state.get("End") is True
    if "End" in state and not isinstance(state["End"], bool):
        problems.append((f"{where}.End", f"End must be true or false at `{where}`"))
    if has_next and ends:
        problems.append((where, f"a state has either Next or End: true, not both, at `{where}`"))
    elif not has_next and not ends:
        problems.append((where, f"a {kind} state needs Next or End: true at `{where}`"))
    if has_next:
        problems += _target(f"{where}.Next", state["Next"], states)
    return problems


def _target(where: str, target: Any, states: dict) -> list[Located]:
    if not isinstance(target, str) or target not in states:
        return [(where, f"there is no state '{target}' (at `{where}`)")]
    return []


def _paths(where: str, state: dict) -> list[Located]:
    problems: list[Located] = []
    for field in ("InputPath", "OutputPath"):
        if state.get(field) is not None:
            problems += _parse(f"{where}.{field}", parse_path, state[field])
    if state.get("ResultPath") is not None:
        problems += _parse(f"{where}.ResultPath", check_reference_path, state["ResultPath"])
    for field in ("Parameters", "ResultSelector"):
        if field in state:
            template = state[field]
            if field == "Parameters" and waits_for_token(state):
                template = with_token(template)  # $$.Task.Token is the wait's token
            for place, message in check_template(template, f"{where}.{field}"):
                problems.append((place, f"{message} at `{place}`"))
    return problems


def _parse(where: str, checker: Any, value: Any) -> list[Located]:
    try:
        checker(value)
    except (PathError, TypeError) as error:
        return [(where, f"{error} at `{where}`")]
    return []


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _task(where: str, state: dict, states: dict) -> list[Located]:
    problems: list[Located] = []
    if not isinstance(state.get("Resource"), str):
        problems.append(
            (f"{where}.Resource", f"a Task state needs a Resource (a URI) at `{where}`")
        )
    for field in ("TimeoutSeconds", "HeartbeatSeconds"):
        value = state.get(field)
        if field in state and (not _is_int(value) or value <= 0):
            problems.append(
                (f"{where}.{field}", f"{field} must be a positive whole number at `{where}`")
            )
    timeout, heartbeat = state.get("TimeoutSeconds"), state.get("HeartbeatSeconds")
    if _is_int(timeout) and _is_int(heartbeat) and heartbeat >= timeout:
        problems.append(
            (
                f"{where}.HeartbeatSeconds",
                f"HeartbeatSeconds must be smaller than TimeoutSeconds at `{where}`",
            )
        )
    problems += _retriers(where, state.get("Retry"))
    catchers = state.get("Catch")
    if catchers is not None:
        if not isinstance(catchers, list):
            return [*problems, (f"{where}.Catch", f"Catch is a list at `{where}`")]
        for i, catcher in enumerate(catchers):
            place = f"{where}.Catch[{i}]"
            if not isinstance(catcher, dict):
                problems.append((place, f"a catcher is an object at `{place}`"))
                continue
            problems += _error_equals(place, catcher, last=i == len(catchers) - 1)
            if "Next" not in catcher:
                problems.append((place, f"a catcher needs Next at `{place}`"))
            else:
                problems += _target(f"{place}.Next", catcher["Next"], states)
            if catcher.get("ResultPath") is not None:
                problems += _parse(
                    f"{place}.ResultPath", check_reference_path, catcher["ResultPath"]
                )
            for field in catcher:
                if field not in ("ErrorEquals", "Next", "ResultPath", "Comment"):
                    problems.append(
                        (f"{place}.{field}", f"'{field}' is not a catcher field at `{place}`")
                    )
    return problems


def _retriers(where: str, retriers: Any) -> list[Located]:
    if retriers is None:
        return []
    if not isinstance(retriers, list):
        return [(f"{where}.Retry", f"Retry is a list at `{where}`")]
    problems: list[Located] = []
    for i, retrier in enumerate(retriers):
        place = f"{where}.Retry[{i}]"
        if not isinstance(retrier, dict):
            problems.append((place, f"a retrier is an object at `{place}`"))
            continue
        problems += _error_equals(place, retrier, last=i == len(retriers) - 1)
        checks = {
            "IntervalSeconds": lambda v: _is_int(v) and v >= 1,
            "MaxAttempts": lambda v: _is_int(v) and v >= 0,
            "BackoffRate": lambda v: (
                isinstance(v, int | float) and not isinstance(v, bool) and v >= 1
            ),
            "MaxDelaySeconds": lambda v: _is_int(v) and v >= 1,
            "JitterStrategy": lambda v: v in ("FULL", "NONE"),
            "ErrorEquals": lambda v: True,
            "Comment": lambda v: True,
        }
        for field, value in retrier.items():
            if field not in checks:
                problems.append(
                    (f"{place}.{field}", f"'{field}' is not a retrier field at `{place}`")
                )
            elif not checks[field](value):
                problems.append((f"{place}.{field}", f"{field} has a bad value at `{place}`"))
    return problems


def _error_equals(place: str, item: dict, *, last: bool) -> list[Located]:
    errors = item.get("ErrorEquals")
    if not isinstance(errors, list) or not errors or not all(isinstance(e, str) for e in errors):
        return [
            (f"{place}.ErrorEquals", f"ErrorEquals is a non-empty list of error names at `{place}`")
        ]
    if "States.ALL" in errors and (len(errors) > 1 or not last):
        return [
            (
                f"{place}.ErrorEquals",
                f"States.ALL must appear alone, in the last entry, at `{place}`",
            )
        ]
    return []


def _choice(where: str, state: dict, states: dict) -> list[Located]:
    choices = state.get("Choices")
    if not isinstance(choices, list) or not choices:
        return [
            (f"{where}.Choices", f"a Choice state needs a non-empty list of Choices at `{where}`")
        ]
    problems: list[Located] = []
    for i, rule in enumerate(choices):
        place = f"{where}.Choices[{i}]"
        if not isinstance(rule, dict) or "Next" not in rule:
            problems.append((place, f"a top-level Choice rule needs Next at `{place}`"))
            continue
        problems += _target(f"{place}.Next", rule["Next"], states)
        for inner_place, message in rule_problems(rule, place):
            problems.append((inner_place, f"{message} at `{inner_place}`"))
    if "Default" in state:
        problems += _target(f"{where}.Default", state["Default"], states)
    return problems


def _unreachable(start: str, states: dict) -> list[Located]:
    seen, todo = {start}, [start]
    while todo:
        state = states.get(todo.pop())
        if not isinstance(state, dict):
            continue
        targets = [state.get("Next"), state.get("Default")]
        targets += [c.get("Next") for c in state.get("Choices") or [] if isinstance(c, dict)]
        targets += [c.get("Next") for c in state.get("Catch") or [] if isinstance(c, dict)]
        for target in targets:
            if isinstance(target, str) and target in states and target not in seen:
                seen.add(target)
                todo.append(target)
    return [
        (f"States.{name}", f"the state '{name}' is unreachable from StartAt at `States.{name}`")
        for name in states
        if name not in seen
    ]
