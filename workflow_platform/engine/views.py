"""Server-rendered operator views: instances (the list, one instance, retry and cancel)
and the tenant's dependencies with their limits and live state.

Short functions: load through the selectors (tenant first), call a service, render. A
platform error becomes a message on the page, never a stack trace. Retry and cancel are
POSTs for members whose role is operator or admin; every member may look.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from workflow_platform.errors import NotFound, PlatformError

from . import selectors, services
from .limits.selectors import dependency_usage
from .models import Status

OPERATE_ROLES = ("operator",)  # admins are allowed too (Membership.allows)


def _tenant(request: HttpRequest):
    if request.tenant is None:
        raise Http404("You are not a member of any tenant.")
    return request.tenant


@login_required
def instance_list(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    filters = {name: request.GET.get(name, "").strip() for name in
               ("definition", "status", "state", "business_key")}  # fmt: skip
    if filters["status"] and filters["status"] not in Status.values:
        messages.error(request, f"Unknown status '{filters['status']}'.")
        filters["status"] = ""
    page = Paginator(selectors.instances_for(tenant, **filters), 50).get_page(
        request.GET.get("page")
    )
    from workflow_platform.definitions.models import Definition

    return render(request, "engine/instance_list.html", {
        "page": page,
        "filters": filters,
        "statuses": Status.choices,
        "definitions": Definition.objects.for_tenant(tenant).order_by("key"),
    })  # fmt: skip


@login_required
def instance_detail(request: HttpRequest, instance_id: int) -> HttpResponse:
    tenant = _tenant(request)
    try:
        instance = selectors.instance_detail(tenant, instance_id)
    except NotFound as error:
        raise Http404(error.message) from error
    return render(request, "engine/instance_detail.html", {
        "instance": instance,
        "history": selectors.history_of(tenant, instance_id),
        "incidents": instance.incidents.all(),
        "open_tasks": instance.tasks.filter(status__in=["open", "claimed"]),
        "can_operate": _can_operate(request),
    })  # fmt: skip


def _can_operate(request: HttpRequest) -> bool:
    return bool(request.membership and request.membership.allows(*OPERATE_ROLES))


def _operate(request: HttpRequest, instance_id: int, service, done: str) -> HttpResponse:
    tenant = _tenant(request)
    if not _can_operate(request):
        messages.error(request, "Only operators and admins can retry or cancel instances.")
        return redirect("operations:instance", instance_id=instance_id)
    try:
        service(tenant=tenant, instance_id=instance_id, user=request.user)
    except NotFound as error:
        raise Http404(error.message) from error
    except PlatformError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("operations:instance", instance_id=instance_id)


@login_required
@require_POST
def retry_instance(request: HttpRequest, instance_id: int) -> HttpResponse:
    return _operate(
        request,
        instance_id,
        services.retry_incident,
        "Retrying the failed step; it runs again with the same idempotency key.",
    )


@login_required
@require_POST
def cancel_instance(request: HttpRequest, instance_id: int) -> HttpResponse:
    def cancel(*, tenant, instance_id, user):
        return services.cancel_instance(
            tenant=tenant,
            instance_id=instance_id,
            user=user,
            reason=request.POST.get("reason", "")[:500],
        )

    return _operate(request, instance_id, cancel, "Instance cancelled.")


@login_required
def dependency_list(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    dependencies = dependency_usage(tenant)
    return render(request, "engine/dependency_list.html", {
        "dependencies": dependencies,
        "unavailable": any(not d["available"] for d in dependencies),
    })  # fmt: skip
