"""The landing page: the tenant's counts, each a link, and first steps for a new tenant.

It lives with the faces, not in ``tenancy`` (whose views are the tenant switcher and the
favicon): counting definitions, instances and tasks reads the layers above tenancy.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from workflow_platform.definitions.models import Definition, Version
from workflow_platform.engine.models import OPEN, Instance, Status
from workflow_platform.tenancy.capabilities import Capability, may
from workflow_platform.worklist import selectors
from workflow_platform.worklist.models import OPEN_STATUSES, HumanTask


def _counts(request: HttpRequest) -> dict:
    tenant = request.tenant
    instances = Instance.objects.for_tenant(tenant)
    admin = selectors.is_admin(request.membership)
    return {
        "definitions": Definition.objects.for_tenant(tenant).count(),
        "published": Version.objects.for_tenant(tenant).filter(status="published").count(),
        "instances": instances.count(),
        "running": instances.filter(status__in=OPEN).count(),
        "incidents": instances.filter(has_incident=True).count(),
        "open_tasks": HumanTask.objects.for_tenant(tenant).filter(status__in=OPEN_STATUSES).count(),
        "inbox": selectors.inbox_counts(tenant, request.user, admin=admin),
        "inbox_url": reverse("inbox:index") + ("?view=all" if admin else ""),
        # An incident fails its instance (engine.stepping.open_incident): the failed list.
        "incidents_url": reverse("operations:instances") + f"?status={Status.FAILED}",
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context: dict = {}
    membership = request.membership
    if request.tenant is not None and membership is not None:
        counts = _counts(request)
        context = {
            "counts": counts,
            "can_design": may(membership, Capability.EDIT_DEFINITIONS),
            "can_start": may(membership, Capability.START_INSTANCES),
            # Until the tenant has a workflow and has run it once.
            "first_steps": not counts["definitions"] or not counts["instances"],
        }
    return render(request, "tasks_inbox/home.html", context)
