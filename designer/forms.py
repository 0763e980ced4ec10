"""Property forms of the designer's side panels: one form per part of a workflow document.

The browser holds the version's document while a person edits it; a panel posts the part
being edited (and the whole document, for context such as name clashes) to the server,
which checks it with these forms and answers with inline errors or the cleaned part as
document JSON (docs/definition-format.md) for the browser to apply. Structural checks of
the whole machine stay with ``definitions.validation``; these only check what one panel
can see.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from workflow_platform.definitions.conditions import ConditionError, parse_condition
from workflow_platform.definitions.machine import STATE_KINDS, parse_duration

# The same patterns as docs/definition-format.schema.json, so a panel refuses what the
# validator would.
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
NAME_HELP = "A letter, then letters, digits, _ or - (at most 64)."
DEPENDENCY_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,99}$")
ACTION_TYPES = ("http", "python", "set", "subworkflow", "notify")


def _check_name(value: str, what: str, pattern: re.Pattern = NAME) -> str:
    if not pattern.match(value):
        raise forms.ValidationError(f"'{value}' is not a valid {what} name. {NAME_HELP}")
    return value


def _check_duration(value: str) -> str:
    if value:
        try:
            parse_duration(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
    return value


def json_object(value: str, what: str) -> dict[str, Any]:
    if not value.strip():
        return {}
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(
            f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from exc
    if not isinstance(parsed, dict):
        raise forms.ValidationError(f"{what} must be a JSON object {{...}}.")
    return parsed


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) if value else ""


def _compact(entries: dict[str, Any]) -> dict[str, Any]:
    """Drop empty optional keys so the document stays as small as people write it."""
    return {k: v for k, v in entries.items() if v not in (None, "", {}, [])}


class DocumentPartForm(forms.Form):
    """Base: knows the whole document and the name the part had before this edit."""

    def __init__(self, *args, document: dict[str, Any], original: str = "", readonly=False, **kw):
        super().__init__(*args, **kw)
        self.document = document
        self.original = original
        if readonly:
            for field in self.fields.values():
                field.disabled = True


class StateForm(DocumentPartForm):
    name = forms.CharField(max_length=100, help_text=NAME_HELP)
    label = forms.CharField(max_length=200, required=False)
    kind = forms.ChoiceField(choices=[(k, k) for k in STATE_KINDS])
    initial = forms.BooleanField(required=False, label="Instances start here")
    timeout = forms.CharField(required=False, help_text="Raises the 'timeout' event, e.g. 2h.")
    # human
    task_title = forms.CharField(required=False, max_length=200, label="Task title")
    assign_to = forms.ChoiceField(
        required=False, choices=[("group", "group"), ("user", "user"), ("rule", "rule")]
    )
    assignee = forms.CharField(required=False, max_length=200, label="Group, user or rule")
    task_form = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Task form (JSON Schema)",
        help_text="What the operator fills in; checked as JSON Schema 2020-12.",
    )
    due = forms.CharField(required=False, help_text="SLA, e.g. 1d")
    escalate_to_group = forms.CharField(required=False, max_length=100, label="Escalate to group")
    priority = forms.IntegerField(required=False)
    # wait
    poll = forms.CharField(required=False, max_length=100, label="Poll action")
    interval = forms.CharField(required=False)
    deadline = forms.CharField(required=False)
    # parallel
    parallel = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Parallel settings (JSON)",
        help_text='e.g. {"map_over": "data.items", "workflow": "child", "join": "all"}',
    )

    @classmethod
    def initial_from(cls, state: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
        task = state.get("task") or {}
        assign = task.get("assign") or {}
        assign_to = next(iter(assign), "group")
        wait = state.get("wait") or {}
        return {
            "name": state.get("name", ""),
            "label": state.get("label", ""),
            "kind": state.get("kind", "normal"),
            "initial": document.get("initial") == state.get("name"),
            "timeout": state.get("timeout") or "",
            "task_title": task.get("title", ""),
            "assign_to": assign_to,
            "assignee": assign.get(assign_to, ""),
            "task_form": _pretty(task.get("form")),
            "due": task.get("due") or "",
            "escalate_to_group": (task.get("escalate_to") or {}).get("group", ""),
            "priority": task.get("priority"),
            "poll": wait.get("poll") or "",
            "interval": wait.get("interval") or "",
            "deadline": wait.get("deadline") or "",
            "parallel": _pretty(state.get("parallel")),
        }

    def clean_name(self):
        name = _check_name(self.cleaned_data["name"], "state")
        taken = {s.get("name") for s in self.document.get("states") or []} - {self.original}
        if name in taken:
            raise forms.ValidationError(f"Another state is already called '{name}'.")
        return name

    def clean_timeout(self):
        return _check_duration(self.cleaned_data["timeout"])

    def clean_due(self):
        return _check_duration(self.cleaned_data["due"])

    def clean_interval(self):
        return _check_duration(self.cleaned_data["interval"])

    def clean_deadline(self):
        return _check_duration(self.cleaned_data["deadline"])

    def clean_task_form(self):
        schema = json_object(self.cleaned_data["task_form"], "The task form")
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            where = "/".join(str(p) for p in exc.path) or "the top level"
            raise forms.ValidationError(
                f"Not a valid JSON Schema at {where}: {exc.message}"
            ) from exc
        return schema

    def clean_parallel(self):
        return json_object(self.cleaned_data["parallel"], "The parallel settings")

    def clean(self):
        data = super().clean()
        if data.get("kind") == "human" and not data.get("task_title"):
            self.add_error("task_title", "A human state needs a task title for the inbox.")
        return data

    def to_state(self, previous: dict[str, Any]) -> dict[str, Any]:
        """The state's document entry: the previous one with this panel's fields applied."""
        d = self.cleaned_data
        state = {k: v for k, v in previous.items() if k not in ("task", "wait", "parallel")}
        state.update(name=d["name"], kind=d["kind"], label=d["label"])
        state.update(_compact({"timeout": d["timeout"]}))
        if not d["timeout"]:
            state.pop("timeout", None)
        if d["kind"] == "human":
            assign = {d["assign_to"] or "group": d["assignee"]} if d["assignee"] else {}
            escalate = {"group": d["escalate_to_group"]} if d["escalate_to_group"] else None
            state["task"] = _compact(
                {
                    "title": d["task_title"],
                    "assign": assign,
                    "form": d["task_form"],
                    "due": d["due"],
                    "escalate_to": escalate,
                    "priority": d["priority"],
                }
            )
        if d["kind"] == "wait":
            state["wait"] = _compact(
                {"poll": d["poll"], "interval": d["interval"], "deadline": d["deadline"]}
            )
        if d["kind"] == "parallel":
            state["parallel"] = d["parallel"]
        return state


class TransitionForm(DocumentPartForm):
    source = forms.ChoiceField(label="From")
    target = forms.ChoiceField(label="To")
    on = forms.CharField(
        max_length=100,
        initial="auto",
        label="Trigger",
        help_text="auto, timer, or the name of an event or human decision.",
    )
    when = forms.CharField(
        required=False,
        label="Guard",
        help_text="Condition on the data, e.g. data.amount > 100",
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
    )
    action = forms.ChoiceField(required=False)
    order = forms.IntegerField(required=False, help_text="Guards are tried in this order.")
    after = forms.CharField(required=False, help_text="For timer triggers, e.g. 30m")
    label = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        names = [(s.get("name"), s.get("name")) for s in self.document.get("states") or []]
        self.fields["source"].choices = names
        self.fields["target"].choices = names
        actions = sorted(self.document.get("actions") or {})
        self.fields["action"].choices = [("", "— none —")] + [(a, a) for a in actions]

    @classmethod
    def initial_from(cls, transition: dict[str, Any]) -> dict[str, Any]:
        return {
            "source": transition.get("from", ""),
            "target": transition.get("to", ""),
            "on": transition.get("on", "auto"),
            "when": transition.get("when") or "",
            "action": transition.get("action") or "",
            "order": transition.get("order"),
            "after": transition.get("after") or "",
            "label": transition.get("label", ""),
        }

    def clean_on(self):
        return _check_name(self.cleaned_data["on"], "trigger")

    def clean_after(self):
        return _check_duration(self.cleaned_data["after"])

    def clean_when(self):
        text = self.cleaned_data["when"].strip()
        if text:
            try:
                parse_condition(text)
            except ConditionError as exc:
                raise forms.ValidationError(f"The guard does not parse: {exc}") from exc
        return text

    def to_transition(self, previous: dict[str, Any]) -> dict[str, Any]:
        d = self.cleaned_data
        keep = {k: v for k, v in previous.items() if k not in TRANSITION_FIELDS}
        fields = {
            "from": d["source"],
            "to": d["target"],
            "on": d["on"],
            "when": d["when"],
            "action": d["action"],
            "order": d["order"],
            "after": d["after"],
            "label": d["label"],
        }
        return {**keep, "from": d["source"], "to": d["target"], **_compact(fields)}


TRANSITION_FIELDS = ("from", "to", "on", "when", "action", "order", "after", "label")


class ActionForm(DocumentPartForm):
    name = forms.CharField(max_length=100, help_text=NAME_HELP)
    type = forms.ChoiceField(choices=[(t, t) for t in ACTION_TYPES])
    params = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        label="Parameters (JSON)",
        help_text='http: {"method": "POST", "url": "https://..."}; python: {"callable": "..."}',
    )
    dependency = forms.CharField(required=False, max_length=100)
    timeout = forms.CharField(required=False, help_text="e.g. 30s")
    max_attempts = forms.IntegerField(required=False, min_value=1, max_value=100)
    initial_interval = forms.CharField(required=False)
    backoff = forms.FloatField(required=False, min_value=1)
    max_interval = forms.CharField(required=False)
    non_retryable = forms.CharField(required=False, help_text="Error codes, comma separated.")
    compensation = forms.CharField(required=False, max_length=100)
    result_to = forms.CharField(required=False, max_length=100, label="Store result at")
    idempotent = forms.BooleanField(required=False, initial=True)

    @classmethod
    def initial_from(cls, name: str, action: dict[str, Any]) -> dict[str, Any]:
        retry = action.get("retry") or {}
        return {
            "name": name,
            "type": action.get("type", "http"),
            "params": _pretty(action.get("params")),
            "dependency": action.get("dependency") or "",
            "timeout": action.get("timeout") or "",
            "max_attempts": retry.get("max_attempts"),
            "initial_interval": retry.get("initial_interval") or "",
            "backoff": retry.get("backoff"),
            "max_interval": retry.get("max_interval") or "",
            "non_retryable": ", ".join(retry.get("non_retryable") or []),
            "compensation": action.get("compensation") or "",
            "result_to": action.get("result_to") or "",
            "idempotent": action.get("idempotent", True),
        }

    def clean_name(self):
        name = _check_name(self.cleaned_data["name"], "action")
        if name != self.original and name in (self.document.get("actions") or {}):
            raise forms.ValidationError(f"Another action is already called '{name}'.")
        return name

    def clean_params(self):
        return json_object(self.cleaned_data["params"], "The parameters")

    def clean_timeout(self):
        return _check_duration(self.cleaned_data["timeout"])

    def clean_initial_interval(self):
        return _check_duration(self.cleaned_data["initial_interval"])

    def clean_max_interval(self):
        return _check_duration(self.cleaned_data["max_interval"])

    def clean_compensation(self):
        name = self.cleaned_data["compensation"]
        known = set(self.document.get("actions") or {}) | {self.data.get("name")}
        if name and name not in known:
            raise forms.ValidationError(f"There is no action called '{name}' to compensate with.")
        return name

    def to_action(self, previous: dict[str, Any]) -> dict[str, Any]:
        d = self.cleaned_data
        codes = [c.strip() for c in d["non_retryable"].split(",") if c.strip()]
        retry = _compact(
            {
                "max_attempts": d["max_attempts"],
                "initial_interval": d["initial_interval"],
                "backoff": d["backoff"],
                "max_interval": d["max_interval"],
                "non_retryable": codes,
            }
        )
        fields = {
            "type": d["type"],
            "params": d["params"],
            "dependency": d["dependency"],
            "timeout": d["timeout"],
            "retry": {**(previous.get("retry") or {}), **retry} if retry else None,
            "compensation": d["compensation"],
            "result_to": d["result_to"],
        }
        keep = {k: v for k, v in previous.items() if k not in (*fields, "idempotent")}
        return {**keep, **_compact(fields), "idempotent": d["idempotent"]}


class DependencyForm(DocumentPartForm):
    name = forms.CharField(max_length=100, help_text=NAME_HELP)
    tps = forms.FloatField(required=False, min_value=0.001, label="Rate limit (calls per second)")
    burst = forms.IntegerField(required=False, min_value=1)
    failure_threshold = forms.IntegerField(
        required=False, min_value=1, label="Open the breaker after N failures"
    )
    recovery_time = forms.CharField(required=False, help_text="e.g. 30s")
    concurrency = forms.IntegerField(required=False, min_value=1, label="Max concurrent calls")

    @classmethod
    def initial_from(cls, name: str, dep: dict[str, Any]) -> dict[str, Any]:
        limit = dep.get("rate_limit") or {}
        breaker = dep.get("circuit_breaker") or {}
        return {
            "name": name,
            "tps": limit.get("tps"),
            "burst": limit.get("burst"),
            "failure_threshold": breaker.get("failure_threshold"),
            "recovery_time": breaker.get("recovery_time") or "",
            "concurrency": dep.get("concurrency"),
        }

    def clean_name(self):
        name = _check_name(self.cleaned_data["name"], "dependency", DEPENDENCY_NAME)
        if name != self.original and name in (self.document.get("dependencies") or {}):
            raise forms.ValidationError(f"Another dependency is already called '{name}'.")
        return name

    def clean_recovery_time(self):
        return _check_duration(self.cleaned_data["recovery_time"])

    def to_dependency(self) -> dict[str, Any]:
        d = self.cleaned_data
        return _compact(
            {
                "rate_limit": _compact({"tps": d["tps"], "burst": d["burst"]}),
                "circuit_breaker": _compact(
                    {
                        "failure_threshold": d["failure_threshold"],
                        "recovery_time": d["recovery_time"],
                    }
                ),
                "concurrency": d["concurrency"],
            }
        )
