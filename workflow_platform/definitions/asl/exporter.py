"""A ``workflow-island/v1`` document as an Amazon States Language machine, where it maps.

The inverse of ``importer``: a state's ``label`` is its ASL name (else its name); the
transitions out of a normal state say what it was — a Choice (``choice`` rules and a
fallback), a Wait (one timer), a Task (one automatic transition with an action, and
``on: "error"`` catchers) or a Pass (one without); final states are Succeed, failed
states Fail. The importer's synthetic states come back as ``End: true`` and a Choice
without ``Default``. So ``translate(export(translate(m)))`` equals ``translate(m)``.

What has no ASL form (human, wait and parallel states, named events, guards in our
expression language, ``set``/``subworkflow``/``notify`` actions, ``result_map``) is a
located problem (:class:`~.importer.AslError`, ``not_exportable``), never dropped.
"""

from __future__ import annotations

import re
from typing import Any

from ..machine import parse_duration
from .importer import END, HTTP_INVOKE, NO_MATCH, AslError
from .retries import retriers_of

_FIELDS = {"input_path": "InputPath", "parameters": "Parameters", "result": "Result",
           "result_selector": "ResultSelector", "result_path": "ResultPath",
           "output_path": "OutputPath"}  # fmt: skip
_SECONDS_PATH = re.compile(r"^now\(\) \+ duration\((?P<expr>.+)\)$")
_TIMESTAMP_PATH = re.compile(r"^timestamp\((?P<expr>data.*)\)$")
_TIMESTAMP = re.compile(r"^timestamp\('(?P<text>[^'\\]*)'\)$")


def export(document: dict[str, Any]) -> dict[str, Any]:
    """The ASL machine of ``document``; :class:`AslError` with every part that cannot be."""
    exporter = _Exporter(document)
    machine = exporter.machine()
    if exporter.problems:
        raise AslError(exporter.problems)
    return machine


class _Exporter:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.states = {state["name"]: state for state in document.get("states", [])}
        self.transitions = list(document.get("transitions", []))
        self.actions = document.get("actions", {})
        self.problems: list[dict[str, str]] = []
        self.synthetic = {name for name in self.states if self._is_synthetic(name)}
        self.asl_names = self._asl_names()

    def refuse(self, path: str, element: str, message: str) -> None:
        self.problems.append(
            {"path": path, "code": "not_exportable", "message": message,
             "element": element, "field": ""}
        )  # fmt: skip

    def _incoming(self, name: str) -> list[dict[str, Any]]:
        return [t for t in self.transitions if t.get("to") == name]

    def _is_synthetic(self, name: str) -> bool:
        state = self.states[name]
        incoming = self._incoming(name)
        if "label" in state or not incoming:
            return False
        if state.get("kind") == "final" and (name == END or name.startswith(f"{END}-")):
            return all(not t.get("choice") and not _fallback_of_choice(t, self.transitions)
                       for t in incoming)  # fmt: skip
        if state.get("kind") == "failed" and (state.get("error") or {}).get("code") == NO_MATCH:
            return all(_fallback_of_choice(t, self.transitions) for t in incoming)
        return False

    def _asl_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        used: set[str] = set()
        for name, state in self.states.items():
            wanted = state.get("label") or name
            asl_name = wanted if wanted not in used else name
            used.add(asl_name)
            names[name] = asl_name
        return names

    def machine(self) -> dict[str, Any]:
        machine: dict[str, Any] = {}
        if self.document.get("description"):
            machine["Comment"] = self.document["description"]
        for name in self.document.get("queries") or {}:
            element = f"query '{name}'"
            self.refuse(f"queries.{name}", element, f"{element} has no Amazon States Language form")
        machine["StartAt"] = self.asl_names.get(self.document.get("initial", ""), "")
        machine["States"] = {
            self.asl_names[name]: self._state(index, name, state)
            for index, (name, state) in enumerate(self.states.items())
            if name not in self.synthetic
        }
        return machine

    def _state(self, index: int, name: str, state: dict[str, Any]) -> dict[str, Any]:
        kind = state.get("kind", "normal")
        element, path = f"state '{name}'", f"states[{index}]"
        if kind == "final":
            return {"Type": "Succeed"}
        if kind == "failed":
            out: dict[str, Any] = {"Type": "Fail"}
            error = state.get("error") or {}
            if "code" in error:
                out["Error"] = error["code"]
            if "cause" in error:
                out["Cause"] = error["cause"]
            return out
        if kind != "normal" or state.get("timeout"):
            what = f"a {kind} state" if kind != "normal" else "a state timeout"
            self.refuse(path, element, f"{what} has no Amazon States Language form ({element})")
            return {"Type": "Pass", "End": True}
        outgoing = [t for t in self.transitions if t.get("from") == name]
        return self._normal(path, element, outgoing)

    def _normal(self, path: str, element: str, outgoing: list[dict]) -> dict[str, Any]:
        triggers = {t.get("on", "auto") for t in outgoing}
        for transition in outgoing:
            if transition.get("when"):
                self.refuse(path, element, f"a guard in the expression language has no ASL "
                            f"form: use a Choice rule ('choice') ({element})")  # fmt: skip
        if triggers == {"timer"} and len(outgoing) == 1:
            return self._wait(path, element, outgoing[0])
        if triggers <= {"auto", "error"} and any(t.get("choice") for t in outgoing):
            return self._choice(outgoing)
        autos = [t for t in outgoing if t.get("on", "auto") == "auto"]
        if len(autos) != 1 or triggers - {"auto", "error"}:
            self.refuse(path, element, f"only one automatic transition (with catchers) maps "
                        f"onto a Task or Pass state ({element})")  # fmt: skip
            return {"Type": "Pass", "End": True}
        auto = autos[0]
        catchers = sorted((t for t in outgoing if t.get("on") == "error"),
                          key=lambda t: t.get("order", 0))  # fmt: skip
        if auto.get("action"):
            return self._task(path, element, auto, catchers)
        if catchers:
            self.refuse(path, element, f"catchers need an action ({element})")
        return {"Type": "Pass", **self._processing(auto, "Pass"), **self._next(auto)}

    def _next(self, transition: dict[str, Any]) -> dict[str, Any]:
        target = transition["to"]
        if target in self.synthetic:
            return {"End": True}
        return {"Next": self.asl_names[target]}

    def _processing(self, transition: dict[str, Any], kind: str) -> dict[str, Any]:
        block = transition.get("asl")
        if block is None:
            # Our native semantics: the data goes on unchanged, a result is dropped.
            return {} if kind == "Pass" else {"ResultPath": None}
        return {_FIELDS[field]: value for field, value in block.items()}

    def _task(self, path: str, element: str, auto: dict, catchers: list[dict]) -> dict[str, Any]:
        name = auto["action"]
        action = self.actions.get(name, {})
        where, action_element = f"actions.{name}", f"action '{name}'"
        resource = self._resource(where, action_element, action, auto)
        task: dict[str, Any] = {"Type": "Task", "Resource": resource}
        task.update(self._processing(auto, "Task"))
        if auto.get("asl") is None and action.get("result_to"):
            task["ResultPath"] = "$." + action["result_to"]
        if action.get("result_map"):
            self.refuse(where, action_element, f"result_map has no ASL form ({action_element})")
        if action.get("timeout") is not None:
            timeout = parse_duration(action["timeout"])
            task["TimeoutSeconds"] = max(1, round(timeout.total_seconds())) if timeout else 1
        retriers = retriers_of(action.get("retry"))
        if retriers:
            task["Retry"] = retriers
        if catchers:
            task["Catch"] = []
            for catcher in catchers:
                entry: dict[str, Any] = {"ErrorEquals": list(catcher.get("errors", []))}
                entry.update(self._processing(catcher, "Catch") if catcher.get("asl") else {})
                entry["Next"] = self.asl_names[catcher["to"]]
                task["Catch"].append(entry)
        task.update(self._next(auto))
        return task

    def _resource(self, where: str, element: str, action: dict, auto: dict) -> str:
        params = action.get("params") or {}
        if action.get("type") == "python":
            return str(params.get("callable", ""))
        if action.get("type") == "http":
            parameters = (auto.get("asl") or {}).get("parameters") or {}
            if "ApiEndpoint" in parameters or "ApiEndpoint.$" in parameters:
                return HTTP_INVOKE
            if (
                params.get("method") == "POST"
                and params.get("body") == "{{ data }}"
                and set(params) == {"method", "url", "body"}
            ):
                return str(params["url"])
        self.refuse(where, element, f"a {action.get('type')} action like this has no ASL "
                    f"resource ({element})")  # fmt: skip
        return ""

    def _choice(self, outgoing: list[dict]) -> dict[str, Any]:
        rules = sorted((t for t in outgoing if t.get("choice")), key=lambda t: t.get("order", 0))
        state: dict[str, Any] = {"Type": "Choice", "Choices": []}
        for transition in rules:
            state["Choices"].append(
                {**transition["choice"], "Next": self.asl_names[transition["to"]]}
            )
        fallback = [t for t in outgoing if not t.get("choice")]
        if fallback and fallback[0]["to"] not in self.synthetic:
            state["Default"] = self.asl_names[fallback[0]["to"]]
        output = (outgoing[0].get("asl") or {}).get("output_path", _ABSENT)
        if output is not _ABSENT:
            state["OutputPath"] = output
        return state

    def _wait(self, path: str, element: str, timer: dict[str, Any]) -> dict[str, Any]:
        state: dict[str, Any] = {"Type": "Wait"}
        if timer.get("after") is not None:
            after = parse_duration(timer["after"])
            state["Seconds"] = round(after.total_seconds()) if after else 0
        else:
            at = str(timer.get("at", ""))
            fixed, seconds, stamp = _TIMESTAMP.match(at), _SECONDS_PATH.match(at), None
            if not fixed:
                stamp = _TIMESTAMP_PATH.match(at)
            if fixed:
                state["Timestamp"] = fixed.group("text")
            elif seconds and _path_of(seconds.group("expr")):
                state["SecondsPath"] = _path_of(seconds.group("expr"))
            elif stamp and _path_of(stamp.group("expr")):
                state["TimestampPath"] = _path_of(stamp.group("expr"))
            else:
                self.refuse(path, element, f"the timer time '{at}' has no ASL form ({element})")
        output = (timer.get("asl") or {}).get("output_path", _ABSENT)
        if output is not _ABSENT:
            state["OutputPath"] = output
        state.update(self._next(timer))
        return state


_ABSENT = object()
_PART = re.compile(r"\.([A-Za-z][A-Za-z0-9_]*)|\['([^'\\]*)'\]|\[(-?\d+)\]")


def _path_of(expression: str) -> str | None:
    """``data.a['b c'][0]`` as the ASL path ``$.a['b c'][0]`` (None for other expressions)."""
    if not expression.startswith("data"):
        return None
    rest, parts = expression[4:], ["$"]
    while rest:
        match = _PART.match(rest)
        if not match:
            return None
        name, quoted, index = match.groups()
        parts.append(
            f".{name}" if name else f"['{quoted}']" if quoted is not None else f"[{index}]"
        )
        rest = rest[match.end() :]
    return "".join(parts)


def _fallback_of_choice(transition: dict[str, Any], transitions: list[dict[str, Any]]) -> bool:
    """Whether ``transition`` is the unguarded fallback of a Choice state's rules."""
    if transition.get("choice") or transition.get("on", "auto") != "auto":
        return False
    source = transition.get("from")
    return any(t.get("from") == source and t.get("choice") for t in transitions)
