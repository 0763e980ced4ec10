"""The state panel's form: name, kind, the initial flag, timeout, and the settings of
human, wait and parallel states."""

from __future__ import annotations

from typing import Any

from django import forms
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from workflow_platform.definitions.machine import STATE_KINDS

from .checks import (
    NAME_HELP,
    DocumentPartForm,
    check_duration,
    check_name,
    compact,
    json_object,
    pretty,
)


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
            "task_form": pretty(task.get("form")),
            "due": task.get("due") or "",
            "escalate_to_group": (task.get("escalate_to") or {}).get("group", ""),
            "priority": task.get("priority"),
            "poll": wait.get("poll") or "",
            "interval": wait.get("interval") or "",
            "deadline": wait.get("deadline") or "",
            "parallel": pretty(state.get("parallel")),
        }

    def clean_name(self):
        name = check_name(self.cleaned_data["name"], "state")
        taken = {s.get("name") for s in self.document.get("states") or []} - {self.original}
        if name in taken:
            raise forms.ValidationError(f"Another state is already called '{name}'.")
        return name

    def clean_timeout(self):
        return check_duration(self.cleaned_data["timeout"])

    def clean_due(self):
        return check_duration(self.cleaned_data["due"])

    def clean_interval(self):
        return check_duration(self.cleaned_data["interval"])

    def clean_deadline(self):
        return check_duration(self.cleaned_data["deadline"])

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
        state.update(compact({"timeout": d["timeout"]}))
        if not d["timeout"]:
            state.pop("timeout", None)
        if d["kind"] == "human":
            assign = {d["assign_to"] or "group": d["assignee"]} if d["assignee"] else {}
            escalate = {"group": d["escalate_to_group"]} if d["escalate_to_group"] else None
            state["task"] = compact(
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
            state["wait"] = compact(
                {"poll": d["poll"], "interval": d["interval"], "deadline": d["deadline"]}
            )
        if d["kind"] == "parallel":
            state["parallel"] = d["parallel"]
        return state
