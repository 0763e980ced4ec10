"""An Amazon States Language machine translated into a ``workflow-island/v1`` document.

Every ASL state becomes one of our states (its ASL name as its ``label``, a valid name
of ours as its ``name``) and its ``Next``/``Default``/``Catch`` become transitions that
carry the state's work: a Task's action, a Pass state's data, a Choice rule (``choice``),
a Wait's timer, a Catch (``on: "error"``), each with the state's ASL data processing in
an ``asl`` block the engine applies (ADR 0016, docs/interchange.md). ``End: true`` leads
to one final state ``end``; a Choice without ``Default`` leads to a failed state with the
error ``States.NoChoiceMatched``, as Step Functions fails such an execution.

``Map`` and ``Parallel`` run their sub-machines as generated child definitions
(``fanouts.py``). What cannot be mapped (service integrations, the context object,
JSONata, variables) is refused with a located problem: :class:`AslError` carries all of
them, like a definition's validation problems.
"""

from __future__ import annotations

import re
from typing import Any

from workflow_platform.errors import InvalidInput

from .callbacks import TASK_TOKEN, WAIT_FOR_TOKEN, token_task, waits_for_token
from .checks import machine_problems
from .fanouts import RESULTS, map_state, parallel_state
from .layout import lay_out
from .paths import PathError, data_expression
from .retries import retry_policy

HTTP_INVOKE = "arn:aws:states:::http:invoke"
END = "end"
NO_MATCH = "States.NoChoiceMatched"
DEFAULT_TIMEOUT = 60  # seconds: a Task's TimeoutSeconds when it names none
_SUB_MACHINE_FIELDS = ("ItemProcessor", "Iterator", "ItemSelector", "Parameters")
_UNSUPPORTED_FIELDS = {
    "TimeoutSecondsPath": "a timeout from the data",
    "HeartbeatSecondsPath": "a heartbeat from the data",
    "Credentials": "assumed credentials",
    "Arguments": "JSONata",
    "Output": "JSONata",
    "Assign": "variables",
    "ErrorPath": "an error from the data",
    "CausePath": "a cause from the data",
    "QueryLanguage": "another query language",
}


class AslError(InvalidInput):
    """An ASL machine that is invalid or uses what the platform cannot run."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        first = problems[0]["message"]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__("invalid_asl", f"{first}{more}", details=problems)


def _problem(path: str, code: str, message: str) -> dict[str, str]:
    parts = path.split(".")
    element = f"state '{parts[1]}'" if len(parts) > 1 and parts[0] == "States" else "the machine"
    return {"path": path, "code": code, "message": message, "element": element, "field": ""}


def translate(machine: Any, *, key: str, name: str | None = None) -> dict[str, Any]:
    """The document of ``machine`` (a parsed ASL object); :class:`AslError` if it cannot be."""
    return translate_all(machine, key=key, name=name)[0]


def translate_all(
    machine: Any, *, key: str, name: str | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The document of ``machine`` and the child documents its Map and Parallel states
    run (children before their parents); :class:`AslError` if it cannot be translated."""
    invalid = machine_problems(machine)
    if invalid:
        raise AslError([_located(path, message) for path, message in invalid])
    translator = _Translator(machine, root=key)
    document = translator.document(key, name)
    if translator.refused:
        raise AslError(translator.refused)
    return document, translator.children


def _located(path: str, message: str) -> dict[str, str]:
    # Valid ASL the platform does not run (the context object, filters) says so.
    code = "unsupported_asl" if "not supported" in message else "invalid_asl"
    return _problem(path, code, message)


def _within(where: str, problem: dict[str, str]) -> dict[str, str]:
    """A sub-machine's problem, located in the machine that holds it."""
    path = f"{where}.{problem['path']}" if problem["path"] else where
    message = re.sub(r"`(?=[A-Z$])", f"`{where}.", problem["message"])
    return {
        **_problem(path, problem["code"], message),
        "element": _problem(where, "", "")["element"],
    }


class _Translator:
    def __init__(self, machine: dict[str, Any], *, root: str) -> None:
        self.machine = machine
        self.root = root  # the key child definitions are named after
        self.children: list[dict[str, Any]] = []
        self.states: dict[str, Any] = machine["States"]
        self.names = _our_names(list(self.states))
        self.refused: list[dict[str, str]] = []
        self.extra: list[dict[str, Any]] = []
        self.transitions: list[dict[str, Any]] = []
        self.actions: dict[str, Any] = {}
        self.end_name: str | None = None

    def refuse(self, path: str, message: str) -> None:
        self.refused.append(_problem(path, "unsupported_asl", message))

    def document(self, key: str, name: str | None) -> dict[str, Any]:
        if "TimeoutSeconds" in self.machine:
            self.refuse(
                "TimeoutSeconds",
                "a machine-wide TimeoutSeconds is not supported at "
                "`TimeoutSeconds` (give the Task states timeouts)",
            )
        if self.machine.get("QueryLanguage", "JSONPath") != "JSONPath":
            self.refuse(
                "QueryLanguage", "only the JSONPath query language is supported at `QueryLanguage`"
            )
        states = [self._state(asl_name, raw) for asl_name, raw in self.states.items()]
        document: dict[str, Any] = {
            "format": "workflow-island/v1",
            "key": key,
            "name": name or key,
        }
        if isinstance(self.machine.get("Comment"), str):
            document["description"] = self.machine["Comment"][:5000]
        document["initial"] = self.names[self.machine["StartAt"]]
        document["states"] = states + self.extra
        document["transitions"] = self.transitions
        if self.actions:
            document["actions"] = self.actions
        lay_out(document)
        return document

    def _state(self, asl_name: str, raw: dict[str, Any]) -> dict[str, Any]:
        where = f"States.{asl_name}"
        ours = self.names[asl_name]
        kind = raw["Type"]
        for field, what in _UNSUPPORTED_FIELDS.items():
            if field in raw:
                self.refuse(
                    f"{where}.{field}", f"{field} ({what}) is not supported at `{where}.{field}`"
                )
        # Sub-machines are checked by their own translation; a Map's ItemSelector may
        # read the item's context fields (fanouts.py).
        own = {k: v for k, v in raw.items() if k not in _SUB_MACHINE_FIELDS or kind != "Map"}
        own.pop("Branches", None)
        self._no_context(where, own)
        state: dict[str, Any] = {"name": ours, "label": asl_name}
        if kind in ("Parallel", "Map"):
            build = map_state if kind == "Map" else parallel_state
            spec = build(where, ours, raw, root=self.root, refuse=self.refuse, make=self._child)
            if spec is not None:
                state["kind"] = "parallel"
                state["parallel"] = spec
                block = _block(raw, ("ResultSelector", "ResultPath", "OutputPath"))
                self._leave(ours, raw, {"on": "joined", "asl": {**block, "result_key": RESULTS}})
        elif kind == "Task":
            self._task(where, ours, raw)
        elif kind == "Pass":
            block = _block(raw, ("InputPath", "Parameters", "Result", "ResultPath", "OutputPath"))
            self._leave(ours, raw, {"asl": block})
        elif kind == "Choice":
            self._choice(where, ours, raw)
        elif kind == "Wait":
            self._wait(where, ours, raw)
        elif kind == "Succeed":
            self._plain_io(where, raw, "Succeed")
            state["kind"] = "final"
        else:  # Fail
            state["kind"] = "failed"
            error = {f: raw[f] for f in ("Error", "Cause") if f in raw}
            state["error"] = {"code": error["Error"]} if "Error" in error else {}
            if "Cause" in error:
                state["error"]["cause"] = error["Cause"]
            if not state["error"]:
                del state["error"]
        return state

    def _no_context(self, where: str, value: Any, place: str = "") -> None:
        """The context object ($$) is not modelled: refuse it wherever it appears."""
        if isinstance(value, dict):
            for key, inner in value.items():
                self._no_context(where, inner, f"{place}.{key}" if place else key)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                self._no_context(where, inner, f"{place}[{index}]")
        elif isinstance(value, str) and "$$" in value and value != TASK_TOKEN:
            self.refuse(
                f"{where}.{place}", f"the context object ($$) is not supported at `{where}.{place}`"
            )

    def _child(
        self, sub: dict[str, Any], key: str, where: str, entries: list[dict[str, Any]]
    ) -> None:
        """Translate a Map's or Parallel's sub-machine into a child document of its own,
        entered through ``entries`` (transition fields, in order) that shape its input."""
        invalid = machine_problems(sub)
        if invalid:
            self.refused += [_within(where, _located(p, m)) for p, m in invalid]
            return
        inner = _Translator(sub, root=key)
        document = inner.document(key, key)
        self.refused += [_within(where, problem) for problem in inner.refused]
        self.children += inner.children
        taken = {state["name"] for state in document["states"]}
        names = []
        for index in range(len(entries)):
            name, n = "entry" if index == 0 else f"entry-{index + 1}", 2
            while name in taken:
                name, n = f"entry-{index + 1}-{n}", n + 1
            taken.add(name)
            names.append(name)
        targets = [*names[1:], document["initial"]]
        document["states"] = [{"name": name} for name in names] + document["states"]
        document["transitions"] = [
            {"from": name, "to": target, **fields}
            for name, target, fields in zip(names, targets, entries, strict=True)
        ] + document["transitions"]
        document["initial"] = names[0]
        lay_out(document)
        self.children.append(document)

    def _leave(self, ours: str, raw: dict[str, Any], extra: dict[str, Any]) -> None:
        target = self.names[raw["Next"]] if "Next" in raw else self._end()
        self.transitions.append({"from": ours, "to": target, **extra})

    def _end(self) -> str:
        if self.end_name is None:
            self.end_name = self._free(END)
            self.extra.append({"name": self.end_name, "kind": "final"})
        return self.end_name

    def _free(self, wanted: str) -> str:
        taken = set(self.names.values()) | {state["name"] for state in self.extra}
        name, n = wanted, 2
        while name in taken:
            name, n = f"{wanted}-{n}", n + 1
        return name

    def _task(self, where: str, ours: str, raw: dict[str, Any]) -> None:
        resource: str = raw["Resource"]
        if waits_for_token(raw):
            resource = resource.removesuffix(WAIT_FOR_TOKEN)
        action = self._resource(where, resource, raw)
        seconds = [raw[f] for f in ("TimeoutSeconds", "HeartbeatSeconds") if f in raw]
        # No heartbeats reach an action, so a heartbeat bounds the attempt too; without
        # either the specification's default is 60 seconds. (A token's wait has its own.)
        timeout = DEFAULT_TIMEOUT if waits_for_token(raw) else min(seconds, default=DEFAULT_TIMEOUT)
        action["timeout"] = f"{timeout}s"
        action["retry"] = retry_policy(raw.get("Retry"), f"{where}.Retry", self.refuse)
        self.actions[ours] = action
        if waits_for_token(raw):
            token_task(self, where, ours, raw)
        else:
            block = _block(
                raw, ("InputPath", "Parameters", "ResultSelector", "ResultPath", "OutputPath")
            )
            self._leave(ours, raw, {"action": ours, "asl": block})
        for index, catcher in enumerate(raw.get("Catch") or []):
            transition: dict[str, Any] = {
                "from": ours,
                "to": self.names[catcher["Next"]],
                "on": "error",
                "errors": list(catcher["ErrorEquals"]),
                "order": index + 1,
                "asl": _block(catcher, ("ResultPath",)),
            }
            self.transitions.append(transition)

    def _resource(self, where: str, resource: str, raw: dict[str, Any]) -> dict[str, Any]:
        place = f"{where}.Resource"
        if resource.startswith(("http://", "https://")):
            return {
                "type": "http",
                "params": {"method": "POST", "url": resource, "body": "{{ data }}"},
            }
        if resource == HTTP_INVOKE:
            return self._http_invoke(where, raw.get("Parameters"))
        if resource.endswith((".waitForTaskToken", ".sync", ".sync:2")):
            self.refuse(
                place, f"the integration pattern of '{resource}' is not supported at `{place}`"
            )
        elif resource.startswith("arn:"):
            self.refuse(
                place,
                f"the resource '{resource}' (an AWS service) is not supported "
                f"at `{place}`: name a registered python callable or an http(s) URL",
            )
        elif not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]{0,199}", resource):
            self.refuse(
                place,
                f"the resource '{resource}' is neither an http(s) URL nor a "
                f"callable name at `{place}`",
            )
        return {"type": "python", "params": {"callable": resource}}

    def _http_invoke(self, where: str, parameters: Any) -> dict[str, Any]:
        place = f"{where}.Parameters"
        parameters = parameters if isinstance(parameters, dict) else {}
        endpoint, method = parameters.get("ApiEndpoint"), parameters.get("Method")
        if "ApiEndpoint.$" in parameters:
            endpoint = "{{ data.ApiEndpoint }}"
        if not isinstance(endpoint, str) or not isinstance(method, str):
            self.refuse(place, f"http:invoke needs a fixed Method and an ApiEndpoint at `{place}`")
            return {"type": "http", "params": {"url": "https://invalid.example"}}
        params: dict[str, Any] = {"method": method.upper(), "url": endpoint}
        if "RequestBody" in parameters or "RequestBody.$" in parameters:
            params["body"] = "{{ data.RequestBody }}"
        for ours, theirs in (("query", "QueryParameters"), ("headers", "Headers")):
            if f"{theirs}.$" in parameters:
                self.refuse(
                    f"{place}.{theirs}.$",
                    f"{theirs} must be an object of fields, not one path, at `{place}`",
                )
            fields = parameters.get(theirs)
            if isinstance(fields, dict) and fields:
                # Our query and headers are objects of templates: one per field, read
                # from the effective input that the Parameters made.
                params[ours] = {
                    name.removesuffix(".$"): "{{ data." + theirs + "[" + _quoted(name) + "] }}"
                    for name in fields
                }
        return {"type": "http", "params": params}

    def _choice(self, where: str, ours: str, raw: dict[str, Any]) -> None:
        self._plain_io(where, raw, "Choice", allow_output=True)
        extra = {"asl": {"output_path": raw["OutputPath"]}} if "OutputPath" in raw else {}
        for index, rule in enumerate(raw["Choices"]):
            condition = {k: v for k, v in rule.items() if k not in ("Next", "Comment")}
            self.transitions.append(
                {
                    "from": ours,
                    "to": self.names[rule["Next"]],
                    "choice": condition,
                    "order": index + 1,
                    **extra,
                }
            )
        if "Default" in raw:
            target = self.names[raw["Default"]]
        else:
            target = self._free(f"{ours}-no-match"[:64])
            self.extra.append(
                {
                    "name": target,
                    "kind": "failed",
                    "error": {"code": NO_MATCH, "cause": f"No Choice rule of '{ours}' matched."},
                }
            )
        self.transitions.append({"from": ours, "to": target, **extra})

    def _wait(self, where: str, ours: str, raw: dict[str, Any]) -> None:
        self._plain_io(where, raw, "Wait", allow_output=True)
        timer: dict[str, Any] = {"on": "timer"}
        if "Seconds" in raw:
            timer["after"] = f"{raw['Seconds']}s"
        elif "Timestamp" in raw:
            text = raw["Timestamp"]
            if not isinstance(text, str) or "'" in text or "\\" in text:
                self.refuse(f"{where}.Timestamp", f"a bad Timestamp at `{where}.Timestamp`")
            timer["at"] = f"timestamp('{text}')"
        else:
            field = "SecondsPath" if "SecondsPath" in raw else "TimestampPath"
            try:
                expression = data_expression(raw[field])
            except (PathError, TypeError):
                expression = None
            if expression is None:
                self.refuse(
                    f"{where}.{field}",
                    f"{field} must be a simple path of names and indexes at `{where}.{field}`",
                )
                expression = "data"
            timer["at"] = (
                f"now() + duration({expression})"
                if field == "SecondsPath"
                else f"timestamp({expression})"
            )
        if "OutputPath" in raw:
            timer["asl"] = {"output_path": raw["OutputPath"]}
        self._leave(ours, raw, timer)

    def _plain_io(self, where: str, raw: dict, kind: str, *, allow_output: bool = False) -> None:
        fields = ("InputPath",) if allow_output else ("InputPath", "OutputPath")
        for field in fields:
            if field in raw and raw[field] != "$":
                self.refuse(
                    f"{where}.{field}",
                    f"{field} other than '$' on a {kind} state is "
                    f"not supported at `{where}.{field}`",
                )


def _quoted(name: str) -> str:
    """A field name as a quoted text of the guard language."""
    key = name.removesuffix(".$")
    return "'" + key.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _block(raw: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The ASL processing fields of ``raw`` under our names (absent ones stay absent)."""
    ours = {
        "InputPath": "input_path",
        "Parameters": "parameters",
        "Result": "result",
        "ResultSelector": "result_selector",
        "ResultPath": "result_path",
        "OutputPath": "output_path",
    }
    return {ours[field]: raw[field] for field in fields if field in raw}


def _our_names(asl_names: list[str]) -> dict[str, str]:
    """A valid, unique name of ours for every ASL state name (which may hold any text)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for asl_name in asl_names:
        base = re.sub(r"[^A-Za-z0-9_-]+", "-", asl_name).strip("-") or "state"
        if not base[0].isalpha():
            base = f"s-{base}"
        base = base[:60]
        name, n = base, 2
        while name.lower() in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name.lower())
        names[asl_name] = name
    return names
