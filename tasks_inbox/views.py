"""The operator inbox pages: the task list (with htmx partials) and the task page.

Views load, check, call one service and render; the services hold the rules. Every
platform error becomes a message on the page (or inline form errors), never a 500.
The list and the badge re-render from the database whenever the websocket hints that a
task changed (static/inbox/inbox.js), so the page is always the database's truth.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from workflow_platform.errors import PlatformError, Unprocessable
from workflow_platform.tenancy.capabilities import Capability, may
from workflow_platform.tenancy.selectors import groups_for
from workflow_platform.worklist import selectors, services
from workflow_platform.worklist.forms import FORM_ERROR, problems

from .forms_schema import form_fields, parse_posted
from .instance_context import instance_context


def _require_tenant(request: HttpRequest) -> None:
    if request.tenant is None:
        raise Http404("You are not a member of any tenant.")


def _filters(request: HttpRequest) -> dict:
    admin = selectors.is_admin(request.membership)
    view = request.GET.get("view", "groups")
    if view not in selectors.VIEWS or (view == "all" and not admin):
        view = "groups"
    sort = request.GET.get("sort", "due")
    return {
        "view": view,
        "sort": sort if sort in selectors.SORTS else "due",
        "workflow": request.GET.get("workflow", "").strip(),
        "state": request.GET.get("state", "").strip(),
        "group": request.GET.get("group", "").strip(),
        "overdue": request.GET.get("overdue") == "1",
        "query": request.GET.get("q", "").strip()[:200],
    }


def _rows_context(request: HttpRequest) -> dict:
    filters = _filters(request)
    admin = selectors.is_admin(request.membership)
    tasks = list(selectors.inbox_tasks(request.tenant, request.user, admin=admin, **filters)[:200])
    now = timezone.now()
    for task in tasks:
        task.sla = selectors.sla_state(task, now)
        task.choices = selectors.choices_for(task, request.user, request.membership)
    can_act = may(request.membership, Capability.HANDLE_TASKS)
    return {"tasks": tasks, "filters": filters, "is_admin": admin, "can_act": can_act}


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _require_tenant(request)
    context = _rows_context(request)
    admin = context["is_admin"]
    context.update(
        counts=selectors.inbox_counts(request.tenant, request.user, admin=admin),
        groups=groups_for(request.tenant).order_by("name"),
        workflows=selectors.workflow_keys(request.tenant),
        views=[v for v in selectors.VIEWS if admin or v != "all"],
        membership=request.membership,
    )
    return render(request, "tasks_inbox/index.html", context)


@login_required
def rows(request: HttpRequest) -> HttpResponse:
    """The task rows alone, for htmx refreshes (filters, live hints, reconnects)."""
    _require_tenant(request)
    return render(request, "tasks_inbox/_rows.html", _rows_context(request))


@login_required
def counts(request: HttpRequest) -> HttpResponse:
    """The badge, with the tab counts swapped out-of-band, for live refreshes."""
    _require_tenant(request)
    admin = selectors.is_admin(request.membership)
    context = {
        "counts": selectors.inbox_counts(request.tenant, request.user, admin=admin),
        "filters": _filters(request),
        "views": [v for v in selectors.VIEWS if admin or v != "all"],
        "oob": True,
    }
    return render(request, "tasks_inbox/_counts.html", context)


def _task_context(request: HttpRequest, task_id: int) -> dict:
    task = selectors.task_detail(request.tenant, task_id)
    admin = selectors.is_admin(request.membership)
    if (
        not selectors.visible_tasks(request.tenant, request.user, admin=admin)
        .filter(pk=task.pk)
        .exists()
    ):
        raise Http404("No such task.")
    task.sla = selectors.sla_state(task)
    return {
        "task": task,
        "is_admin": admin,
        "can_act": may(request.membership, Capability.HANDLE_TASKS),
        "choices": selectors.choices_for(task, request.user, request.membership),
        "decisions": list(selectors.decision_labels(task).items()),
        "decided": selectors.decision_label(task),
        "mine": task.assignee_id == request.user.pk,
        "open": task.status in selectors.OPEN_STATUSES,
        "activities": selectors.activities_of(request.tenant, task.pk),
        "members": selectors.operators_of(request.tenant),
        "groups": groups_for(request.tenant).order_by("name"),
        **instance_context(request.tenant, task.instance),
    }


@login_required
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    _require_tenant(request)
    try:
        context = _task_context(request, task_id)
    except PlatformError as error:
        raise Http404(error.message) from error
    context["fields"] = form_fields(context["task"].form, context["task"].decision_data or {})
    return render(request, "tasks_inbox/task.html", context)


@login_required
def task_status(request: HttpRequest, task_id: int) -> HttpResponse:
    """The task's status panel alone, refreshed live on the task page."""
    _require_tenant(request)
    try:
        context = _task_context(request, task_id)
    except PlatformError as error:
        raise Http404(error.message) from error
    return render(request, "tasks_inbox/_task_status.html", context)


def _back(request: HttpRequest, task_id: int | None = None) -> HttpResponse:
    target = request.POST.get("next", "")
    if target.startswith("/inbox/"):
        return redirect(target)
    if task_id is not None:
        return redirect("inbox:task", task_id=task_id)
    return redirect("inbox:index")


def _when(raw: str) -> datetime | None:
    """A datetime-local input's value (in UTC, the platform's zone) or None."""
    if not raw:
        return None
    value = parse_datetime(raw)
    if value is None:
        raise Unprocessable("bad_datetime", f"'{raw}' is not a date and time.")
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _revision(request: HttpRequest) -> int | None:
    raw = request.POST.get("revision", "")
    return int(raw) if raw.isdigit() else None


@login_required
@require_POST
def act(request: HttpRequest, task_id: int, verb: str) -> HttpResponse:
    """Claim, release, reassign, delegate or snooze one task, then go back."""
    _require_tenant(request)
    common = {
        "tenant": request.tenant,
        "task_id": task_id,
        "user": request.user,
        "expected_revision": _revision(request),
    }
    post = request.POST
    try:
        if verb == "claim":
            services.claim_task(**common)
            messages.success(request, "Task claimed: it is yours now.")
        elif verb == "release":
            services.release_task(**common)
            messages.success(request, "Task released to its group.")
        elif verb == "reassign":
            services.reassign_task(
                **common, to_group=post.get("group") or None, to_username=post.get("user") or None
            )
            messages.success(request, "Task reassigned.")
        elif verb == "delegate":
            services.delegate_task(**common, to_username=post.get("user", ""))
            messages.success(request, f"Task delegated to {post.get('user')}.")
        elif verb == "snooze":
            services.snooze_task(**common, until=_when(post.get("until", "")))
            messages.success(request, "Task snoozed.")
        else:
            raise Http404("Unknown action.")
    except PlatformError as error:
        messages.error(request, error.message)
    return _back(request, task_id)


@login_required
@require_POST
def complete(request: HttpRequest, task_id: int) -> HttpResponse:
    """Validate the task's form on the server; inline errors, or complete and go back."""
    _require_tenant(request)
    try:
        context = _task_context(request, task_id)
    except PlatformError as error:
        raise Http404(error.message) from error
    task = context["task"]
    data, errors = parse_posted(task.form, request.POST)
    errors = {**problems(task.form, data), **errors}
    if not errors:
        try:
            services.complete_task(
                tenant=request.tenant, task_id=task.pk, user=request.user,
                decision=request.POST.get("decision", ""), data=data,
                expected_revision=_revision(request),
            )  # fmt: skip
            messages.success(request, f"Done: {task.title}.")
            return redirect("inbox:index")
        except Unprocessable as error:
            errors = {d["field"]: d["message"] for d in error.details or []} or {
                FORM_ERROR: error.message
            }
        except PlatformError as error:
            messages.error(request, error.message)
            return redirect("inbox:task", task_id=task.pk)
    context["fields"] = form_fields(task.form, {**request.POST.dict(), **data}, errors)
    context["form_error"] = errors.get(FORM_ERROR, "")
    return render(request, "tasks_inbox/task.html", context, status=422)


@login_required
@require_POST
def bulk_claim(request: HttpRequest) -> HttpResponse:
    _require_tenant(request)
    ids = [int(i) for i in request.POST.getlist("task") if i.isdigit()]
    if not ids:
        messages.error(request, "Tick the tasks to claim first.")
        return _back(request)
    result = services.bulk_claim(tenant=request.tenant, task_ids=ids, user=request.user)
    if result.claimed:
        messages.success(request, f"Claimed {len(result.claimed)} task(s).")
    # Named by title where the user may see the task; an unknown id stays a number.
    admin = selectors.is_admin(request.membership)
    titles = dict(
        selectors.visible_tasks(request.tenant, request.user, admin=admin)
        .filter(pk__in=list(result.refused))
        .values_list("pk", "title")
    )
    for task_id, why in result.refused.items():
        name = f"“{titles[task_id]}”" if task_id in titles else f"Task {task_id}"
        messages.error(request, f"{name}: {why}")
    return _back(request)


@login_required
@require_POST
def away(request: HttpRequest) -> HttpResponse:
    """Mark yourself away until a return date, or back now."""
    _require_tenant(request)
    try:
        until = None if "back" in request.POST else _when(request.POST.get("until", ""))
        if until is None and "back" not in request.POST:
            raise Unprocessable("bad_return_date", "Give a return date, or press 'I'm back'.")
        services.set_away(tenant=request.tenant, user=request.user, until=until)
        messages.success(
            request,
            f"You are away until {until:%Y-%m-%d %H:%M} UTC." if until else "Welcome back.",
        )
    except PlatformError as error:
        messages.error(request, error.message)
    return redirect(reverse("inbox:index"))
