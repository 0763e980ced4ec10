"""The state panel's form: name, kind, the initial flag, timeout, and the settings of
human (human_task.py), wait and parallel states. Applying it merges into the previous
state entry: keys the panel does not show (a position, a future field) are kept."""

from __future__ import annotations

from typing import Any

from django import forms

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
from .human_task import HumanTaskFields


class StateForm(DocumentPartForm, HumanTaskFields):
    name = forms.CharField(max_length=100, help_text=NAME_HELP)
    label = forms.CharField(max_length=200, required=False)
    kind = forms.ChoiceField(choices=[(k, k) for k in STATE_KINDS])
    initial = forms.BooleanField(required=False, label="Instances start here")
    timeout = forms.CharField(required=False, help_text="Raises the 'timeout' event, e.g. 2h.")
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
        wait = state.get("wait") if isinstance(state.get("wait"), dict) else {}
        return {
            "name": state.get("name", ""),
            "label": state.get("label", ""),
            "kind": state.get("kind", "normal"),
            "initial": str(document.get("initial")) == str(state.get("name")),
            "timeout": state.get("timeout") or "",
            **cls.task_initial(state.get("task")),
            "poll": wait.get("poll") or "",
            "interval": wait.get("interval") or "",
            "deadline": wait.get("deadline") or "",
            "parallel": pretty(state.get("parallel")),
        }

    def clean_name(self):
        name = check_name(self.cleaned_data["name"], "state")
        states = [s for s in self.document.get("states") or [] if isinstance(s, dict)]
        taken = {str(s.get("name")) for s in states} - {self.original}
        if name in taken:
            raise forms.ValidationError(f"Another state is already called '{name}'.")
        return name

    def clean_timeout(self):
        return check_duration(self.cleaned_data["timeout"])

    def clean_interval(self):
        return check_duration(self.cleaned_data["interval"])

    def clean_deadline(self):
        return check_duration(self.cleaned_data["deadline"])

    def clean_parallel(self):
        return json_object(self.cleaned_data["parallel"], "The parallel settings")

    def clean(self):
        data = super().clean()
        if data.get("kind") == "human":
            self.clean_task(data)
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
            state["task"] = self.merged_task(previous.get("task"))
        if d["kind"] == "wait":
            wait = dict(previous["wait"]) if isinstance(previous.get("wait"), dict) else {}
            for key in ("poll", "interval", "deadline"):
                wait.pop(key, None)
            state["wait"] = {**wait, **compact({k: d[k] for k in ("poll", "interval", "deadline")})}
        if d["kind"] == "parallel":
            state["parallel"] = d["parallel"]
        return state
