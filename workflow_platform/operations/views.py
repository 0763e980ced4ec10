"""Server-rendered operator pages: instances (the list; one instance with its graph,
data, history and incidents; retry, redrive, suspend, resume and cancel) and the
tenant's dependencies with their limits and live state.

Short functions over the engine's selectors (tenant first) and services: load, check,
call, render. A platform error becomes a message on the page, never a stack trace. The
actions are POSTs for members whose role is operator or admin; every member may look.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from workflow_platform.definitions.models import Definition
from workflow_platform.engine import selectors, services
from workflow_platform.engine.limits.selectors import dependency_usage
from workflow_platform.engine.models import Status
from workflow_platform.errors import NotFound, PlatformError
from workflow_platform.tenancy.capabilities import Capability, may


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
    return render(request, "operations/instance_list.html", {
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
    return render(request, "operations/instance_detail.html", {
        "instance": instance,
        "data_json": json.dumps(instance.data, indent=2, ensure_ascii=False, sort_keys=True),
        "graph": selectors.instance_graph(tenant, instance),
        "history": selectors.history_of(tenant, instance_id),
        "incidents": instance.incidents.all(),
        "open_tasks": instance.tasks.filter(status__in=["open", "claimed"]),
        "can_operate": _can_operate(request),
    })  # fmt: skip


def _can_operate(request: HttpRequest) -> bool:
    return may(request.membership, Capability.OPERATE_INSTANCES)


def _operate(request: HttpRequest, instance_id: int, service, done: str) -> HttpResponse:
    tenant = _tenant(request)
    if not _can_operate(request):
        messages.error(request, "Only operators and admins can change instances.")
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
def redrive_instance(request: HttpRequest, instance_id: int) -> HttpResponse:
    return _operate(
        request,
        instance_id,
        services.redrive_instance,
        "Redriving from the failed step with a fresh attempt budget; the steps that "
        "succeeded are not run again.",
    )


@login_required
@require_POST
def suspend_instance(request: HttpRequest, instance_id: int) -> HttpResponse:
    def suspend(*, tenant, instance_id, user):
        reason = request.POST.get("reason", "")[:500]
        return services.suspend_instance(
            tenant=tenant, instance_id=instance_id, user=user, reason=reason
        )

    return _operate(request, instance_id, suspend, "Suspended: nothing runs until resumed.")


@login_required
@require_POST
def resume_instance(request: HttpRequest, instance_id: int) -> HttpResponse:
    return _operate(request, instance_id, services.resume_instance, "Resumed.")


@login_required
@require_POST
def cancel_instance(request: HttpRequest, instance_id: int) -> HttpResponse:
    compensate = request.POST.get("compensate") == "on"

    def cancel(*, tenant, instance_id, user):
        return services.cancel_instance(
            tenant=tenant,
            instance_id=instance_id,
            user=user,
            reason=request.POST.get("reason", "")[:500],
            compensate=compensate,
        )

    done = "Cancelling: the completed steps are being undone." if compensate else "Cancelled."
    return _operate(request, instance_id, cancel, done)


@login_required
def dependency_list(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    dependencies = dependency_usage(tenant)
    return render(request, "operations/dependency_list.html", {
        "dependencies": dependencies,
        "unavailable": any(not d["available"] for d in dependencies),
    })  # fmt: skip
