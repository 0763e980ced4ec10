"""Server-rendered operator pages: instances (the list; one instance with its graph,
data, history and incidents; retry, retry with corrected data, redrive, suspend, resume
and cancel) and the tenant's dependencies with their limits and live state.

Short functions over the engine's selectors (tenant first) and services: load, check,
call, render. A platform error becomes a message on the page, never a stack trace. The
actions are POSTs for members whose role is operator or admin; every member may look.
The two that need more than a click have a page of their own: a cancel asks for a
reason and a second look (and offers compensation when there is something to undo),
a retry with corrected data shows the data to edit. No script is needed for either.
While an instance moves on its own its page asks every two seconds whether it changed
(``instance_changes``) and reloads when it did, so a retry's outcome shows.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from workflow_platform.definitions.models import Definition, VersionStatus
from workflow_platform.engine import selectors, services
from workflow_platform.engine.limits.selectors import dependency_usage
from workflow_platform.engine.models import Status
from workflow_platform.engine.queries import answer_queries
from workflow_platform.errors import Conflict, NotFound, PlatformError
from workflow_platform.tenancy.capabilities import Capability, may
from workflow_platform.worklist import selectors as worklist
from workflow_platform.worklist.models import OPEN_STATUSES

from .forms import CancelForm, RetryDataForm

# Statuses in which an instance changes without anyone acting on its page: it polls.
MOVING = (Status.CREATED, Status.RUNNING, Status.WAITING, Status.COMPENSATING)


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
        # Only definitions that can have instances: a draft never started one.
        "definitions": Definition.objects.for_tenant(tenant)
        .filter(versions__status__in=[VersionStatus.PUBLISHED, VersionStatus.RETIRED])
        .distinct()
        .order_by("key"),
    })  # fmt: skip


def _instance(tenant, instance_id: int):
    try:
        return selectors.instance_detail(tenant, instance_id)
    except NotFound as error:
        raise Http404(error.message) from error


def _data_json(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)


@login_required
def instance_detail(request: HttpRequest, instance_id: int) -> HttpResponse:
    tenant = _tenant(request)
    instance = _instance(tenant, instance_id)
    incidents = list(instance.incidents.select_related("resolved_by"))
    return render(request, "operations/instance_detail.html", {
        "instance": instance,
        "data_json": _data_json(instance.data),
        "graph": selectors.instance_graph(tenant, instance),
        "history": _with_decision_words(
            instance, selectors.history_of(tenant, instance_id).select_related("user")
        ),
        "incidents": incidents,
        # The step numbers the header and the incidents share: the incident's own.
        "open_incident": next((i for i in incidents if i.is_open), None),
        "open_tasks": _open_tasks(request, tenant, instance),
        "queries": [
            (answer, _data_json(answer.value)) for answer in answer_queries(tenant, instance_id)
        ],
        "can_operate": _can_operate(request),
        "live": instance.status in MOVING,
    })  # fmt: skip


@login_required
@require_GET
def instance_changes(request: HttpRequest, instance_id: int) -> HttpResponse:
    """204 while the instance is where the page saw it (history ``seq``); otherwise an
    ``HX-Refresh`` answer: htmx reloads the page, which then shows the new status."""
    instance = _instance(_tenant(request), instance_id)
    seen = request.GET.get("seq", "")
    if len(seen) <= 10 and seen.isascii() and seen.isdigit() and int(seen) == instance.seq:
        return HttpResponse(status=204)
    response = HttpResponse(status=200)
    response["HX-Refresh"] = "true"
    return response


def _with_decision_words(instance, history) -> list:
    """The history, each decided task's event with the words its button showed (the
    worklist's rule: the transition's label, else the event name as words)."""
    events = list(history)
    for event in events:
        if event.type == "task_completed" and event.event:
            labels = worklist.decision_words(instance.version_id, event.from_state)
            event.decision_words = labels.get(event.event) or worklist.humanise(event.event)
    return events


def _open_tasks(request: HttpRequest, tenant, instance) -> list:
    """The instance's open tasks, each marked ``openable`` when the inbox would show its
    page to this member (the others are listed as text, not as links to a 404)."""
    tasks = list(
        instance.tasks.filter(status__in=OPEN_STATUSES).select_related("group", "assignee")
    )
    admin = worklist.is_admin(request.membership)
    seen = set(
        worklist.visible_tasks(tenant, request.user, admin=admin)
        .filter(pk__in=[task.pk for task in tasks])
        .values_list("pk", flat=True)
    )
    for task in tasks:
        task.openable = task.pk in seen
    return tasks


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
@require_http_methods(["GET", "POST"])
def retry_with_data(request: HttpRequest, instance_id: int) -> HttpResponse:
    """Correct the data of a failed instance, then retry its failed step (one commit)."""
    tenant = _tenant(request)
    instance = _instance(tenant, instance_id)
    back = redirect("operations:instance", instance_id=instance.pk)
    if not _can_operate(request):
        messages.error(request, "Only operators and admins can change instances.")
        return back
    incident = instance.incidents.filter(resolved_at__isnull=True).first()
    if instance.status != Status.FAILED or incident is None:
        messages.error(request, f"Instance {instance.pk} has no open incident to retry.")
        return back
    form = RetryDataForm(request.POST or None, initial={"data": _data_json(instance.data)})
    if request.method == "POST" and form.is_valid():
        try:
            services.retry_incident(
                tenant=tenant, instance_id=instance.pk, user=request.user,
                data=form.cleaned_data["data"],
            )  # fmt: skip
        except Conflict as error:
            messages.error(request, error.message)
            return back
        except PlatformError as error:  # the data's bounds: nothing was changed
            form.add_error("data", error.message)
        else:
            messages.success(
                request,
                "Retrying the failed step with the corrected data; it runs again with the "
                "same idempotency key.",
            )
            return back
    return render(
        request,
        "operations/retry_with_data.html",
        {"instance": instance, "incident": incident, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def cancel_instance(request: HttpRequest, instance_id: int) -> HttpResponse:
    """A cancel is asked for on its own page: a reason (kept in the history) and a
    confirmation, with compensation offered when completed steps have something to undo."""
    tenant = _tenant(request)
    instance = _instance(tenant, instance_id)
    back = redirect("operations:instance", instance_id=instance.pk)
    if not _can_operate(request):
        messages.error(request, "Only operators and admins can change instances.")
        return back
    if instance.is_ended:
        messages.error(request, f"Instance {instance.pk} is already {instance.status}.")
        return back
    plan = selectors.compensation_plan(tenant, instance)
    form = CancelForm(request.POST or None, can_compensate=bool(plan))
    if request.method == "POST" and form.is_valid():
        compensate = bool(form.cleaned_data.get("compensate"))
        try:
            services.cancel_instance(
                tenant=tenant, instance_id=instance.pk, user=request.user,
                reason=form.cleaned_data["reason"], compensate=compensate,
            )  # fmt: skip
        except PlatformError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                "Cancelling: the completed steps are being undone." if compensate else "Cancelled.",
            )
        return back
    return render(
        request,
        "operations/cancel.html",
        {
            "instance": instance,
            "form": form,
            "plan": plan,
            "open_tasks": instance.tasks.filter(status__in=["open", "claimed"]).count(),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def dependency_list(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    dependencies = dependency_usage(tenant)
    return render(request, "operations/dependency_list.html", {
        "dependencies": dependencies,
        "unavailable": any(not d["available"] for d in dependencies),
    })  # fmt: skip
