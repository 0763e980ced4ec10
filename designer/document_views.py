"""JSON endpoints the editor's script calls: validate, save, publish, diff, dry run, live.

Each is a thin shell: parse the body, check the role, call the definitions or engine
service, answer JSON. Platform errors become ``{"code", "message", "details"}`` with their
HTTP status in one place (``access.error_response``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from workflow_platform.definitions.diff import diff_documents
from workflow_platform.definitions.models import Definition, Version, VersionStatus
from workflow_platform.definitions.services import new_draft as start_new_draft
from workflow_platform.definitions.services import publish_version, save_draft
from workflow_platform.definitions.validation import validate_document
from workflow_platform.engine.selectors import state_counts
from workflow_platform.errors import Conflict, PlatformError

from .access import document_from, error_response, json_body, require_editor, tenant_of, version_for
from .dry_run import dry_run_step
from .merge import merge_documents


def json_endpoint(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PlatformError as exc:
            return error_response(exc)

    return login_required(wrapped)


def _problems(document: dict, tenant) -> list[dict]:
    return [problem.as_dict() for problem in validate_document(document, tenant=tenant)]


def version_summary(version: Version) -> dict:
    return {
        "id": version.pk,
        "number": version.number,
        "status": version.status,
        "checksum": version.checksum,
        "url": reverse("designer:editor", args=[version.pk]),
        "save_url": reverse("designer:save", args=[version.pk]),
    }


EDITOR_ENDPOINTS = (
    "validate",
    "save",
    "publish",
    "new_draft",
    "merge",
    "dry_run",
    "live",
    "panel_state",
    "panel_transition",
    "panel_action",
    "panel_dependency",
    "start",
)


def editor_urls(version: Version) -> dict[str, str]:
    """The endpoints the editor's script calls for ``version``."""
    return {name: reverse(f"designer:{name}", args=[version.pk]) for name in EDITOR_ENDPOINTS}


def _draft_changed(exc: Conflict, stored: Version) -> JsonResponse:
    """A 409 that carries the stored draft, so the editor can offer its merge."""
    body = {"code": exc.code, "message": exc.message, "status": stored.status}
    body["theirs"] = {"document": stored.document, "checksum": stored.checksum}
    return JsonResponse(body, status=exc.status)


@require_POST
@json_endpoint
def validate(request: HttpRequest, version_id: int) -> JsonResponse:
    version = version_for(request, version_id)
    document = document_from(json_body(request).get("document"))
    return JsonResponse({"problems": _problems(document, version.tenant)})


@require_POST
@json_endpoint
def save(request: HttpRequest, version_id: int) -> JsonResponse:
    """Save the draft; a 409 carries the stored draft so the editor can offer a merge."""
    require_editor(request)
    tenant = tenant_of(request)
    version = version_for(request, version_id)
    body = json_body(request)
    document = document_from(body.get("document"))
    try:
        saved = save_draft(
            tenant=tenant,
            version_id=version.pk,
            document=document,
            expected_checksum=body.get("expected_checksum") or None,
            user=request.user,
        )
    except Conflict as exc:
        return _draft_changed(exc, version_for(request, version_id))
    return JsonResponse(
        {"version": version_summary(saved), "problems": _problems(saved.document, tenant)}
    )


@require_POST
@json_endpoint
def publish(request: HttpRequest, version_id: int) -> JsonResponse:
    """Publish the draft the person checked: with ``expected_checksum`` (the editor always
    sends it), a draft saved by someone else since is refused with a 409 that carries it,
    as a save is, so what gets published is exactly what was validated on screen."""
    require_editor(request)
    tenant = tenant_of(request)
    expected = json_body(request).get("expected_checksum") or None
    with transaction.atomic():
        # Held until published: nobody saves between the comparison and the publish.
        locked = Version.objects.for_tenant(tenant).select_for_update()
        stored = locked.filter(pk=version_for(request, version_id).pk).get()
        if expected and stored.status == VersionStatus.DRAFT and stored.checksum != expected:
            changed = Conflict(
                "draft_changed",
                "The draft was changed by someone else since you checked it; not published.",
            )
            return _draft_changed(changed, stored)
        version = publish_version(tenant=tenant, version_id=stored.pk, user=request.user)
    return JsonResponse({"version": version_summary(version)})


@require_POST
@json_endpoint
def new_draft(request: HttpRequest, version_id: int) -> JsonResponse:
    """The definition's next draft, copied from this version, or the draft it already has.

    ``created`` says which: a draft that existed may hold someone else's work, so the
    editor merges into it (its ``document`` and ``checksum`` are in the answer) instead
    of saving over it. ``urls`` are the draft's endpoints for the editor to switch to.
    """
    require_editor(request)
    tenant = tenant_of(request)
    version = version_for(request, version_id)
    with transaction.atomic():
        # The definitions service takes the same lock: "was there a draft" and its
        # answer cannot disagree because of a third request in between.
        Definition.objects.for_tenant(tenant).select_for_update().get(pk=version.definition_id)
        existed = (
            Version.objects.for_tenant(tenant)
            .filter(definition_id=version.definition_id, status=VersionStatus.DRAFT)
            .exists()
        )
        draft = start_new_draft(
            tenant=tenant,
            definition_id=version.definition_id,
            from_version_id=version.pk,
            user=request.user,
        )
    return JsonResponse(
        {
            "version": version_summary(draft),
            "created": not existed,
            "document": draft.document,
            "urls": editor_urls(draft),
        }
    )


@require_GET
@json_endpoint
def diff(request: HttpRequest, version_id: int, other_id: int) -> JsonResponse:
    """How ``version_id`` differs from ``other_id`` (the older side), plus the other's graph."""
    version = version_for(request, version_id)
    other = version_for(request, other_id)
    return JsonResponse(
        {
            "other": {**version_summary(other), "document": other.document},
            "diff": diff_documents(other.document, version.document).as_dict(),
        }
    )


@require_POST
@json_endpoint
def merge(request: HttpRequest, version_id: int) -> JsonResponse:
    version_for(request, version_id)
    body = json_body(request)
    merged, clashes = merge_documents(
        document_from(body.get("base")),
        document_from(body.get("mine")),
        document_from(body.get("theirs")),
    )
    return JsonResponse({"document": merged, "clashes": clashes})


@require_POST
@json_endpoint
def dry_run(request: HttpRequest, version_id: int) -> JsonResponse:
    version_for(request, version_id)
    body = json_body(request)
    data = document_from(body.get("data") or {})
    payload = body.get("payload") or {}
    step = dry_run_step(
        document_from(body.get("document")),
        state=body.get("state") or None,
        trigger=body.get("trigger") or None,
        data=data,
        payload=document_from(payload),
    )
    return JsonResponse(step)


@require_GET
@json_endpoint
def live(request: HttpRequest, version_id: int) -> JsonResponse:
    """Instances per state of a published version, with links to the operations list."""
    version = version_for(request, version_id)
    counts = state_counts(tenant_of(request), version.pk)
    base = reverse("operations:instances")
    key = version.definition.key
    links = {
        state: f"{base}?{urlencode({'definition': key, 'version': version.pk, 'state': state})}"
        for state in counts
    }
    return JsonResponse({"counts": counts, "links": links})
