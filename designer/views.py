"""The designer's pages: the list of definitions, creating and importing one, the editor
of a version and its export. Views load, check, call a definitions service and render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from workflow_platform.definitions.machine import FORMAT
from workflow_platform.definitions.models import Definition, Version
from workflow_platform.definitions.services import (
    create_definition,
    export_version,
    import_document,
)
from workflow_platform.definitions.templates import install_templates
from workflow_platform.errors import PlatformError
from workflow_platform.tenancy.selectors import groups_for

from .access import can_edit, error_response, require_editor, tenant_of, version_for
from .document_views import editor_urls, version_summary
from .forms.human_task import GROUPS_DATALIST
from .page_forms import ImportForm, NewDefinitionForm


def starter_document(*, key: str, name: str, description: str = "") -> dict:
    """An empty machine: people draw it from nothing in the editor."""
    return {
        "format": FORMAT,
        "key": key,
        "name": name,
        "description": description,
        "initial": "",
        "states": [],
        "transitions": [],
        "actions": {},
        "dependencies": {},
    }


@login_required
def index(request: HttpRequest) -> HttpResponse:
    definitions = []
    if request.tenant is not None:
        definitions = Definition.objects.for_tenant(request.tenant).prefetch_related("versions")
    return render(
        request,
        "designer/index.html",
        {
            "definitions": definitions,
            "can_edit": can_edit(request),
            "new_form": NewDefinitionForm(),
            "import_form": ImportForm(),
        },
    )


def _render_index_with(request, **forms) -> HttpResponse:
    context = {
        "definitions": Definition.objects.for_tenant(request.tenant).prefetch_related("versions"),
        "can_edit": True,
        "new_form": NewDefinitionForm(),
        "import_form": ImportForm(),
        **forms,
    }
    return render(request, "designer/index.html", context, status=400)


@require_POST
@login_required
def create(request: HttpRequest) -> HttpResponse:
    tenant = tenant_of(request)
    try:
        require_editor(request)
    except PlatformError as exc:
        messages.error(request, exc.message)
        return redirect("designer:index")
    form = NewDefinitionForm(request.POST)
    if not form.is_valid():
        return _render_index_with(request, new_form=form)
    data = form.cleaned_data
    try:
        version = create_definition(
            tenant=tenant,
            key=data["key"],
            name=data["name"],
            description=data["description"],
            document=starter_document(**data),
            user=request.user,
        )
    except PlatformError as exc:
        form.add_error("key", exc.message)
        return _render_index_with(request, new_form=form)
    return redirect("designer:editor", version.pk)


@require_POST
@login_required
def import_definition(request: HttpRequest) -> HttpResponse:
    tenant = tenant_of(request)
    try:
        require_editor(request)
    except PlatformError as exc:
        messages.error(request, exc.message)
        return redirect("designer:index")
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_index_with(request, import_form=form)
    try:
        version = import_document(
            tenant=tenant,
            text=form.cleaned_data["text"],
            fmt=form.cleaned_data["fmt"],
            user=request.user,
            key=form.cleaned_data.get("key") or None,
        )
    except PlatformError as exc:
        form.add_error(None, exc.message)
        details = exc.details if isinstance(exc.details, list) else []
        for detail in details:
            if isinstance(detail, dict):
                form.add_error(None, f"{detail.get('path', '')}: {detail.get('message', '')}")
        return _render_index_with(request, import_form=form)
    messages.success(request, f"Imported as a draft: {version.definition.name} v{version.number}.")
    return redirect("designer:editor", version.pk)


@require_POST
@login_required
def install_seed_templates(request: HttpRequest) -> HttpResponse:
    """Publish the seed workflows (docs/templates.md) the tenant lacks: a first step."""
    tenant = tenant_of(request)
    try:
        require_editor(request)
        with transaction.atomic():  # all of them or none
            installed = install_templates(tenant=tenant)
    except PlatformError as exc:
        messages.error(request, exc.message)
        return redirect("designer:index")
    if installed:
        messages.success(
            request, f"Published {len(installed)} seed workflows: {', '.join(installed)}."
        )
    else:
        messages.info(request, "The tenant already has every seed workflow.")
    return redirect("designer:index")


@require_GET
@never_cache  # a stale page of a since-published version must never come back from history
@login_required
def editor(request: HttpRequest, version_id: int) -> HttpResponse:
    version = version_for(request, version_id)
    siblings = Version.objects.for_tenant(request.tenant).filter(definition=version.definition)
    editable = can_edit(request) and version.status == "draft"
    config = {
        "version": version_summary(version),
        "definition": {"id": version.definition_id, "key": version.definition.key},
        "document": version.document,
        "editable": editable,
        "canEdit": can_edit(request),
        "versions": [
            {**version_summary(v), "label": f"v{v.number} · {v.status}"} for v in siblings
        ],
        "urls": editor_urls(version),
        # The script fills in the other version's id.
        "diffUrl": reverse("designer:diff", args=[version.pk, 999999999]).replace(
            "999999999", "{other}"
        ),
    }
    return render(
        request,
        "designer/editor.html",
        {
            "version": version,
            "definition": version.definition,
            "config": config,
            "editable": editable,
            "siblings": siblings,
            "can_edit": can_edit(request),
            "groups_datalist": GROUPS_DATALIST,
            "group_names": groups_for(request.tenant)
            .order_by("name")
            .values_list("name", flat=True),
        },
    )


@require_GET
@login_required
def export(request: HttpRequest, version_id: int) -> HttpResponse:
    version = version_for(request, version_id)
    fmt = request.GET.get("fmt", "json")
    try:  # an unknown format is refused (unknown_format), not silently JSON
        text = export_version(tenant=tenant_of(request), version_id=version.pk, fmt=fmt)
    except PlatformError as exc:
        return error_response(exc)
    response = HttpResponse(
        text, content_type="application/yaml" if fmt == "yaml" else "application/json"
    )
    suffix = "asl.json" if fmt == "asl" else fmt
    filename = f"{version.definition.key}-v{version.number}.{suffix}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
