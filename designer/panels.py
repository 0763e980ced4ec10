"""The side panels (htmx): edit one state, transition, action or dependency, or start an
instance. The browser posts the part and the whole document; a valid edit comes back as
the same panel plus an ``HX-Trigger`` event ``designer:apply`` carrying the cleaned part,
which the editor applies to its document (so it can be undone); an invalid one comes back
with the errors inline and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from workflow_platform.engine.services import start_instance
from workflow_platform.errors import PlatformError

from .access import can_edit, can_start, document_from, tenant_of, version_for
from .forms import ActionForm, DependencyForm, StateForm, TransitionForm
from .page_forms import StartInstanceForm

STATE_SECTIONS = (
    ("State", ("name", "label", "kind", "initial", "timeout"), ""),
    ("Human task", ("task_title", "task_form", "priority"), "human"),
    (
        "Who gets the task",
        ("assign_group", "assign_user", "strategy", "skill", "routing_rule"),
        "human",
    ),
    ("SLA and escalation", ("due", "escalate_to_group", "escalate_to_user"), "human"),
    ("Waiting", ("poll", "interval", "deadline"), "wait"),
    ("Fan-out", ("parallel",), "parallel"),
)
ACTION_SECTIONS = (
    ("Action", ("name", "type", "params", "dependency", "timeout", "idempotent"), ""),
    (
        "Retries",
        ("max_attempts", "initial_interval", "backoff", "max_interval", "non_retryable"),
        "",
    ),
    ("Saga", ("compensation", "result_to"), ""),
)


def _panel(
    request, *, title, form, part, original, sections, applied=False, status=200, deletable=True
):
    grouped = [
        {
            "title": t,
            "fields": [form[name] for name in names],
            "kind": kind,
            "preview": "task_form" in names,
        }
        for t, names, kind in sections
    ]
    return render(
        request,
        "designer/_panel.html",
        {
            "title": title,
            "form": form,
            "part": part,
            "original": original,
            "sections": grouped,
            "applied": applied,
            "editable": form.editable,
            "deletable": deletable,
            "action_url": request.path,
            "form_preview": _task_form_preview(form) if part == "state" else [],
        },
        status=status,
    )


def _task_form_preview(form) -> list[dict[str, Any]]:
    """The fields a human task's form asks the operator for, as the panel lists them."""
    raw = form["task_form"].value() or ""
    try:
        schema = json.loads(raw) if isinstance(raw, str) and raw.strip() else {}
    except json.JSONDecodeError:
        return []
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        return []
    required = schema.get("required") if isinstance(schema.get("required"), list) else []
    return [
        {
            "name": name,
            "title": spec.get("title", "") if isinstance(spec, dict) else "",
            "type": spec.get("type", "any") if isinstance(spec, dict) else "any",
            "required": name in required,
        }
        for name, spec in properties.items()
    ]


def _applied(
    response: HttpResponse, part: str, original: Any, value: Any, name: Any
) -> HttpResponse:
    event = {"part": part, "original": original, "value": value, "name": name}
    response["HX-Trigger"] = json.dumps({"designer:apply": event})
    return response


def _context(request, version_id):
    version = version_for(request, version_id)
    document = document_from(request.POST.get("document") or "{}")
    editable = can_edit(request) and version.status == "draft"
    return document, editable, "apply" in request.POST and editable


@require_POST
@login_required
def state_panel(request: HttpRequest, version_id: int) -> HttpResponse:
    document, editable, applying = _context(request, version_id)
    original = request.POST.get("original", "")
    # By name as text: an imported file may hold a number where a name belongs.
    states = {str(s.get("name")): s for s in document.get("states") or [] if isinstance(s, dict)}
    previous = states.get(original, {"name": original})
    if applying:
        form = StateForm(request.POST, document=document, original=original)
    else:
        form = StateForm(
            initial=StateForm.initial_from(previous, document),
            document=document,
            original=original,
            readonly=not editable,
        )
    form.editable = editable
    if applying and form.is_valid():
        value = form.to_state(previous)
        response = _panel(
            request,
            title="State",
            form=form,
            part="state",
            original=value["name"],
            sections=STATE_SECTIONS,
            applied=True,
        )
        value_initial = form.cleaned_data["initial"]
        return _applied(
            response, "state", original, {"state": value, "initial": value_initial}, value["name"]
        )
    return _panel(
        request,
        title="State",
        form=form,
        part="state",
        original=original,
        sections=STATE_SECTIONS,
        status=422 if applying else 200,
    )


@require_POST
@login_required
def transition_panel(request: HttpRequest, version_id: int) -> HttpResponse:
    document, editable, applying = _context(request, version_id)
    transitions = document.get("transitions") or []
    try:
        index = int(request.POST.get("original", ""))
        previous = transitions[index]
    except (ValueError, IndexError):
        return HttpResponse("That transition is no longer in the document.", status=404)
    if applying:
        form = TransitionForm(request.POST, document=document, original=str(index))
    else:
        form = TransitionForm(
            initial=TransitionForm.initial_from(previous),
            document=document,
            original=str(index),
            readonly=not editable,
        )
    form.editable = editable
    sections = (("Transition", tuple(form.fields), ""),)
    if applying and form.is_valid():
        value = form.to_transition(previous)
        response = _panel(
            request,
            title="Transition",
            form=form,
            part="transition",
            original=index,
            sections=sections,
            applied=True,
        )
        return _applied(response, "transition", index, value, index)
    return _panel(
        request,
        title="Transition",
        form=form,
        part="transition",
        original=index,
        sections=sections,
        status=422 if applying else 200,
    )


def _named_panel(request, version_id, *, part, form_class, collection, sections, convert):
    document, editable, applying = _context(request, version_id)
    original = request.POST.get("original", "")
    previous = (document.get(collection) or {}).get(original, {})
    if applying:
        form = form_class(request.POST, document=document, original=original)
    else:
        form = form_class(
            initial=form_class.initial_from(original, previous),
            document=document,
            original=original,
            readonly=not editable,
        )
    form.editable = editable
    title = part.title()
    if applying and form.is_valid():
        value = convert(form, previous)
        name = form.cleaned_data["name"]
        response = _panel(
            request,
            title=title,
            form=form,
            part=part,
            original=name,
            sections=sections,
            applied=True,
        )
        return _applied(response, part, original, value, name)
    return _panel(
        request,
        title=title,
        form=form,
        part=part,
        original=original,
        sections=sections,
        status=422 if applying else 200,
    )


@require_POST
@login_required
def action_panel(request: HttpRequest, version_id: int) -> HttpResponse:
    return _named_panel(
        request,
        version_id,
        part="action",
        form_class=ActionForm,
        collection="actions",
        sections=ACTION_SECTIONS,
        convert=lambda form, previous: form.to_action(previous),
    )


@require_POST
@login_required
def dependency_panel(request: HttpRequest, version_id: int) -> HttpResponse:
    sections = (("Dependency", tuple(DependencyForm.base_fields), ""),)
    return _named_panel(
        request,
        version_id,
        part="dependency",
        form_class=DependencyForm,
        collection="dependencies",
        sections=sections,
        convert=lambda form, previous: form.to_dependency(),
    )


@require_http_methods(["GET", "POST"])
@login_required
def start(request: HttpRequest, version_id: int) -> HttpResponse:
    """Start an instance of the definition's published version with typed-in data."""
    version = version_for(request, version_id)
    context: dict[str, Any] = {"version": version, "can_start": can_start(request)}
    if request.method == "GET" or not context["can_start"] or version.status != "published":
        context["form"] = StartInstanceForm()
        return render(request, "designer/_start.html", context)
    form = StartInstanceForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        return render(request, "designer/_start.html", context, status=422)
    try:
        instance = start_instance(
            tenant=tenant_of(request),
            definition_key=version.definition.key,
            data=form.cleaned_data["data"],
            business_key=form.cleaned_data["business_key"],
            user=request.user,
        )
    except PlatformError as exc:
        form.add_error(None, exc.message)
        return render(request, "designer/_start.html", context, status=exc.status)
    context["started"] = instance
    context["instances_url"] = (
        reverse("operations:instances") + f"?definition={version.definition.key}"
    )
    context["form"] = StartInstanceForm()
    response = render(request, "designer/_start.html", context)
    response["HX-Trigger"] = json.dumps({"designer:started": {"id": instance.pk}})
    return response
