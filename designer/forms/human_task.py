"""The human-task part of the state panel: title, form, who gets the task, SLA.

A human state's ``task`` (docs/definition-format.md, docs/inbox.md) holds more than the
panel shows: routing strategies, skills, text rules, an escalation user, and keys a later
format may add. The panel therefore *merges* its fields into the previous ``task``
instead of rebuilding it: a field it shows is set (or removed when emptied), everything
else is kept as it was. The text rule is checked against the published schema's
``textRule`` so the panel refuses next to the box what the validator would refuse.
"""

from __future__ import annotations

from typing import Any

from django import forms
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from workflow_platform.definitions.document_schema import definition_schema
from workflow_platform.definitions.form_schemas import (
    FIELD_ORDER,
    form_problems,
    ordered_field_names,
    with_field_order,
)

from .checks import check_duration, json_object, pretty

STRATEGIES = (
    ("", "nobody in particular (the group's queue)"),
    ("least_loaded", "the least loaded member"),
    ("skill", "the least loaded member with a skill"),
)
STRATEGY_NAMES = tuple(value for value, _ in STRATEGIES if value)
# The editor page's <datalist> of the tenant's operator groups (designer/editor.html): a
# picker that still takes any name, so an unknown one gets the validator's located problem.
GROUPS_DATALIST = "operator-groups"
GROUP_PICKER = {"list": GROUPS_DATALIST, "autocomplete": "off"}
TEXT_RULE_EXAMPLE = (
    '{"field": "message", "rules": [{"keywords": ["refund"], "group": "billing"}, '
    '{"sentiment": "negative", "group": "care", "strategy": "least_loaded"}], '
    '"default": {"group": "support"}}'
)


def _set_or_drop(target: dict[str, Any], key: str, value: Any) -> None:
    if value in (None, "", {}, []):
        target.pop(key, None)
    else:
        target[key] = value


def _as_dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def form_as_written(form: Any) -> Any:
    """A task form for the panel's box: its properties in the recorded field order, which
    then goes without saying (``x-order`` stays shown only when it says something else)."""
    if not isinstance(form, dict) or not isinstance(form.get("properties"), dict):
        return form
    names = ordered_field_names(form)
    shown = {**form, "properties": {name: form["properties"][name] for name in names}}
    if shown.get(FIELD_ORDER) == names:
        del shown[FIELD_ORDER]
    return shown


def _text_rule_problem(rule: dict[str, Any]) -> str:
    schema = {"$defs": definition_schema()["$defs"], "$ref": "#/$defs/textRule"}
    error = next(iter(Draft202012Validator(schema).iter_errors(rule)), None)
    if error is None:
        return ""
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return f"The text rule{' at ' + where.lstrip('.') if where else ''}: {error.message}"


class HumanTaskFields(forms.Form):
    """The fields of a human state's task; mixed into the state panel's form."""

    task_title = forms.CharField(required=False, max_length=200, label="Task title")
    task_form = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Task form (JSON Schema)",
        help_text="What the operator fills in; checked as JSON Schema 2020-12.",
    )
    priority = forms.IntegerField(required=False, min_value=0, max_value=100)
    assign_group = forms.CharField(
        required=False,
        max_length=100,
        label="Group",
        help_text="The group whose queue gets the task: pick one of the tenant's or type "
        "its name (with a user: while they are away).",
        widget=forms.TextInput(attrs=GROUP_PICKER),
    )
    assign_user = forms.CharField(
        required=False, max_length=150, label="User", help_text="A username: that person."
    )
    strategy = forms.ChoiceField(required=False, choices=STRATEGIES, label="Pick from the group")
    skill = forms.CharField(
        required=False,
        max_length=200,
        help_text="For 'with a skill': e.g. german, or {{ data.language }}",
    )
    routing_rule = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        label="Text rule (JSON)",
        help_text=f"Route by the keywords or tone of a data field, e.g. {TEXT_RULE_EXAMPLE}",
    )
    due = forms.CharField(required=False, help_text="SLA, e.g. 1d")
    escalate_to_group = forms.CharField(
        required=False,
        max_length=100,
        label="Escalate to group",
        widget=forms.TextInput(attrs=GROUP_PICKER),
    )
    escalate_to_user = forms.CharField(required=False, max_length=150, label="Escalate to user")

    @staticmethod
    def task_initial(task: Any) -> dict[str, Any]:
        task = _as_dict(task)
        assign = _as_dict(task.get("assign"))
        escalate = _as_dict(task.get("escalate_to"))
        rule = assign.get("rule")
        strategy = assign.get("strategy") or ""
        if not strategy and rule in STRATEGY_NAMES:
            strategy = rule  # the short form {"group": "ops", "rule": "least_loaded"}
        return {
            "task_title": task.get("title", ""),
            "task_form": pretty(form_as_written(task.get("form"))),
            "priority": task.get("priority"),
            "assign_group": assign.get("group", ""),
            "assign_user": assign.get("user", ""),
            "strategy": strategy,
            "skill": assign.get("skill", ""),
            "routing_rule": pretty(rule) if isinstance(rule, dict) else "",
            "due": task.get("due") or "",
            "escalate_to_group": escalate.get("group", ""),
            "escalate_to_user": escalate.get("user", ""),
        }

    def clean_due(self):
        return check_duration(self.cleaned_data["due"])

    def clean_task_form(self):
        schema = json_object(self.cleaned_data["task_form"], "The task form")
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            where = "/".join(str(p) for p in exc.path) or "the top level"
            raise forms.ValidationError(
                f"Not a valid JSON Schema at {where}: {exc.message}"
            ) from exc
        unsafe = form_problems(schema)
        if unsafe:
            where, _, message = unsafe[0]
            raise forms.ValidationError(f"At {where or 'the top level'}: {message}")
        return with_field_order(schema)  # the order written in the box, kept for the inbox

    def clean_routing_rule(self):
        rule = json_object(self.cleaned_data["routing_rule"], "The text rule")
        problem = _text_rule_problem(rule) if rule else ""
        if problem:
            raise forms.ValidationError(problem)
        return rule

    def clean_task(self, data: dict[str, Any]) -> None:
        """The checks across fields, for a human state only."""
        if not data.get("task_title"):
            self.add_error("task_title", "A human state needs a task title for the inbox.")
        strategy = data.get("strategy")
        if strategy and not data.get("assign_group"):
            self.add_error("strategy", "Picking a member needs the group to pick from.")
        if strategy == "skill" and not data.get("skill"):
            self.add_error("skill", "Say which skill the member needs.")
        if data.get("escalate_to_group") and data.get("escalate_to_user"):
            self.add_error("escalate_to_user", "Escalate to a group or to a user, not both.")

    def merged_task(self, previous: Any) -> dict[str, Any]:
        """The previous ``task`` with this panel's fields applied; other keys kept."""
        d = self.cleaned_data
        task = _as_dict(previous)
        _set_or_drop(task, "title", d["task_title"])
        _set_or_drop(task, "form", d["task_form"])
        _set_or_drop(task, "priority", d["priority"])
        _set_or_drop(task, "due", d["due"])
        task_assign = self._merged_assign(_as_dict(task.get("assign")))
        _set_or_drop(task, "assign", task_assign)
        escalate = _as_dict(task.get("escalate_to"))
        _set_or_drop(escalate, "group", d["escalate_to_group"])
        _set_or_drop(escalate, "user", d["escalate_to_user"])
        _set_or_drop(task, "escalate_to", escalate)
        return task

    def _merged_assign(self, assign: dict[str, Any]) -> dict[str, Any]:
        d = self.cleaned_data
        _set_or_drop(assign, "group", d["assign_group"])
        _set_or_drop(assign, "user", d["assign_user"])
        _set_or_drop(assign, "skill", d["skill"])
        previous_rule = assign.get("rule")
        short_form = previous_rule in STRATEGY_NAMES and not assign.get("strategy")
        if d["routing_rule"]:
            assign["rule"] = d["routing_rule"]
        elif isinstance(previous_rule, dict) or short_form:
            assign.pop("rule")  # the box was emptied, or the strategy field now says it
        if short_form and not d["routing_rule"] and d["strategy"] == previous_rule:
            assign["rule"] = previous_rule  # unchanged: keep the document as it was written
        else:
            _set_or_drop(assign, "strategy", d["strategy"])
        return assign
