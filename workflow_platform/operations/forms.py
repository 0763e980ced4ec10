"""The operator's forms: a cancel needs a reason and a second look; corrected data for a
retry must be a JSON object. What the engine checks beyond that (the data's bounds, the
instance's status) it refuses itself, and the view shows its message on the form."""

from __future__ import annotations

import json
from typing import Any

from django import forms

MAX_DATA_CHARACTERS = 1_000_000


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the instance's history with your name.",
        error_messages={"required": "Say why the instance is cancelled."},
    )
    compensate = forms.BooleanField(required=False)

    def __init__(self, *args: Any, can_compensate: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_compensate:
            del self.fields["compensate"]  # nothing to undo: never offered, never taken

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"]
        if "\x00" in reason:
            raise forms.ValidationError("The reason holds a NUL character.")
        return reason


class RetryDataForm(forms.Form):
    data = forms.CharField(
        max_length=MAX_DATA_CHARACTERS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false", "class": "data-editor"}),
        help_text="The instance's whole data as a JSON object; keys you delete are removed.",
        error_messages={"required": "Give the data as a JSON object, e.g. {}."},
    )

    def clean_data(self) -> dict[str, Any]:
        text = self.cleaned_data["data"]
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"This is not JSON: line {error.lineno}, column {error.colno}: {error.msg}."
            ) from error
        except RecursionError as error:
            raise forms.ValidationError("The data is nested too deeply.") from error
        if not isinstance(value, dict):
            raise forms.ValidationError("The data must be a JSON object ({...}).")
        return value
