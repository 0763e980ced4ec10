"""Who may do what in the designer, and loading a version within the request's tenant.

The roles' rights are the tenancy's capability table, the one the API applies too:
designers and admins edit; every other member (operators, viewers) sees the designer read
only; designers, operators and admins may start instances from it. Another tenant's
version is a 404, never a 403 (docs/adr/0002-tenancy.md).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest, JsonResponse

from workflow_platform.definitions.models import Version
from workflow_platform.errors import InvalidInput, PermissionDenied, PlatformError
from workflow_platform.tenancy.capabilities import Capability, may


def can_edit(request: HttpRequest) -> bool:
    return may(getattr(request, "membership", None), Capability.EDIT_DEFINITIONS)


def can_start(request: HttpRequest) -> bool:
    """Designers and operators start instances; viewers only look."""
    return may(getattr(request, "membership", None), Capability.START_INSTANCES)


def require_editor(request: HttpRequest) -> None:
    if not can_edit(request):
        raise PermissionDenied("read_only", "Your role can look at workflows but not change them.")


def tenant_of(request: HttpRequest):
    if request.tenant is None:
        raise Http404("You are not a member of any tenant.")
    return request.tenant


def version_for(request: HttpRequest, version_id: int) -> Version:
    tenant = tenant_of(request)
    version = (
        Version.objects.for_tenant(tenant)
        .select_related("definition")
        .filter(pk=version_id)
        .first()
    )
    if version is None:
        raise Http404("No such version.")
    return version


def json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput("invalid_json", f"The request body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise InvalidInput("invalid_json", "The request body must be a JSON object.")
    return body


def document_from(value: Any) -> dict[str, Any]:
    """A document sent by the editor, as a dict (it may come as JSON text in a form)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise InvalidInput("invalid_document", f"The document is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidInput("invalid_document", "The document must be a JSON object.")
    return value


def error_response(exc: PlatformError) -> JsonResponse:
    """The designer's one translation of platform errors for its scripts."""
    body = {"code": exc.code, "message": exc.message}
    if exc.details is not None:
        body["details"] = exc.details
    return JsonResponse(body, status=exc.status)
