"""The Actions tab's forms: an action (type, parameters, retries, saga) and a dependency
(rate limit, circuit breaker, concurrency)."""

from __future__ import annotations

from typing import Any

from django import forms

from .checks import (
    DEPENDENCY_NAME,
    NAME_HELP,
    DocumentPartForm,
    check_duration,
    check_name,
    compact,
    json_object,
    pretty,
)

ACTION_TYPES = ("http", "python", "set", "subworkflow", "notify")


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
            "params": pretty(action.get("params")),
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
        name = check_name(self.cleaned_data["name"], "action")
        if name != self.original and name in (self.document.get("actions") or {}):
            raise forms.ValidationError(f"Another action is already called '{name}'.")
        return name

    def clean_params(self):
        return json_object(self.cleaned_data["params"], "The parameters")

    def clean_timeout(self):
        return check_duration(self.cleaned_data["timeout"])

    def clean_initial_interval(self):
        return check_duration(self.cleaned_data["initial_interval"])

    def clean_max_interval(self):
        return check_duration(self.cleaned_data["max_interval"])

    def clean_compensation(self):
        name = self.cleaned_data["compensation"]
        known = set(self.document.get("actions") or {}) | {self.data.get("name")}
        if name and name not in known:
            raise forms.ValidationError(f"There is no action called '{name}' to compensate with.")
        return name

    def to_action(self, previous: dict[str, Any]) -> dict[str, Any]:
        d = self.cleaned_data
        codes = [c.strip() for c in d["non_retryable"].split(",") if c.strip()]
        retry = compact(
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
        return {**keep, **compact(fields), "idempotent": d["idempotent"]}


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
        name = check_name(self.cleaned_data["name"], "dependency", DEPENDENCY_NAME)
        if name != self.original and name in (self.document.get("dependencies") or {}):
            raise forms.ValidationError(f"Another dependency is already called '{name}'.")
        return name

    def clean_recovery_time(self):
        return check_duration(self.cleaned_data["recovery_time"])

    def to_dependency(self) -> dict[str, Any]:
        d = self.cleaned_data
        return compact(
            {
                "rate_limit": compact({"tps": d["tps"], "burst": d["burst"]}),
                "circuit_breaker": compact(
                    {
                        "failure_threshold": d["failure_threshold"],
                        "recovery_time": d["recovery_time"],
                    }
                ),
                "concurrency": d["concurrency"],
            }
        )
