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


def _counts(request: HttpRequest) -> dict:
    tenant = request.tenant
    instances = Instance.objects.for_tenant(tenant)
    admin = selectors.is_admin(request.membership)
    inbox = selectors.inbox_counts(tenant, request.user, admin=admin)
    return {
        "definitions": Definition.objects.for_tenant(tenant).count(),
        "published": Version.objects.for_tenant(tenant).filter(status="published").count(),
        "instances": instances.count(),
        "running": instances.filter(status__in=OPEN).count(),
        "incidents": instances.filter(has_incident=True).count(),
        # The tasks this member sees in the inbox (not the tenant's), and a view showing them.
        "open_tasks": inbox["all"],
        "inbox": inbox,
        "inbox_url": reverse("inbox:index") + f"?view={_inbox_view(inbox, admin=admin)}",
        # An incident fails its instance (engine.stepping.open_incident): the failed list.
        "incidents_url": reverse("operations:instances") + f"?status={Status.FAILED}",
    }


def _inbox_view(counts: dict[str, int], *, admin: bool) -> str:
    """The inbox view the count links to: a non-admin's visible tasks are theirs, their
    groups' or unassigned, so the first of those views with tasks shows some."""
    if admin:
        return "all"
    return next((v for v in ("groups", "mine", "unassigned") if counts[v]), "groups")


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
