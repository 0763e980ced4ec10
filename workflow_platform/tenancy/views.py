"""The tenant switcher and the favicon. Login and logout are Django's own views; the home
page is a face's (``tasks_inbox.home``), as it counts what the layers above tenancy hold."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.http import require_POST

from .middleware import SESSION_KEY, tenant_request


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers and tools ask for whatever the page links: the SVG."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


@login_required
@require_POST
def switch_tenant(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("tenant_id", "")
    memberships = tenant_request(request).memberships
    membership = next((m for m in memberships if str(m.tenant_id) == wanted), None)
    if membership is None:
        messages.error(request, "You are not a member of that tenant.")
    else:
        request.session[SESSION_KEY] = membership.tenant_id
        messages.success(request, f"Now working in {membership.tenant.name}.")
    return redirect("home")
