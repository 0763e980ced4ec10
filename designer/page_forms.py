"""Forms of the designer's pages: a new definition, an import, and starting an instance."""

from __future__ import annotations

from django import forms

from .forms import json_object


class StartInstanceForm(forms.Form):
    business_key = forms.CharField(required=False, max_length=200)
    data = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        label="Data (JSON object)",
        initial="{}",
    )

    def clean_data(self):
        return json_object(self.cleaned_data["data"], "The data")


class NewDefinitionForm(forms.Form):
    key = forms.SlugField(max_length=100, help_text="Used by the API to start instances.")
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(forms.Form):
    FORMATS = [
        ("workflow-island", "Workflow Island (JSON or YAML)"),
        ("asl", "Amazon States Language (Step Functions)"),
    ]
    format = forms.ChoiceField(
        choices=FORMATS, initial="workflow-island", label="Format", required=False
    )
    key = forms.SlugField(
        required=False, max_length=100, label="Key",
        help_text="Amazon States Language only: the new definition's key.",
    )  # fmt: skip
    file = forms.FileField(required=False, help_text="A .json or .yaml export.")
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        # The list page also holds the new-definition form, which has a key too.
        kwargs.setdefault("auto_id", "import_%s")
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("format") == "asl":
            return self._clean_asl(data)
        upload = data.get("file")
        if upload:
            data["fmt"] = "yaml" if upload.name.endswith((".yaml", ".yml")) else "json"
            try:
                data["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError("The file is not UTF-8 text.") from exc
        elif data.get("text", "").strip():
            data["fmt"] = "json" if data["text"].lstrip().startswith("{") else "yaml"
        else:
            raise forms.ValidationError("Choose a file or paste a definition.")
        return data

    def _clean_asl(self, data):
        if not data.get("key"):
            self.add_error("key", "An Amazon States Language machine needs a key here.")
        upload = data.get("file")
        if upload:
            try:
                data["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError("The file is not UTF-8 text.") from exc
        elif not data.get("text", "").strip():
            raise forms.ValidationError("Choose a file or paste a state machine.")
        data["fmt"] = "asl"
        return data
