"""The transition panel's form: ends, trigger, guard, action, order, timer and label."""

from __future__ import annotations

from typing import Any

from django import forms

from workflow_platform.definitions.conditions import ConditionError, parse_condition

from .checks import DocumentPartForm, check_duration, check_name, compact


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
        return check_name(self.cleaned_data["on"], "trigger")

    def clean_after(self):
        return check_duration(self.cleaned_data["after"])

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
        return {**keep, "from": d["source"], "to": d["target"], **compact(fields)}


TRANSITION_FIELDS = ("from", "to", "on", "when", "action", "order", "after", "label")
