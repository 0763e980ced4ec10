"""HTTP hardening wired in settings.py: the Content-Security-Policy, the sign-in lockout
and a page for a wrong method.

:class:`ContentSecurityPolicyMiddleware` is django-csp's middleware plus one thing a
fixed policy cannot say: the inbox's websocket lives on the page's own host, and
browsers before CSP Level 3 do not count ``ws:``/``wss:`` of that host as ``'self'``. So
connect-src names the request's host (already checked against ``ALLOWED_HOSTS``) with
both schemes. docs/adr/0014-content-security-policy.md says what each page may load.

:class:`SignInLockoutBackend` is django-axes' standalone backend for sign-ins that come
with a request (the login page, the admin's). An ``authenticate()`` without one (the
test client's ``login()``, a shell) has no client address to lock out, so it is let
through to the password check instead of failing; every HTTP sign-in passes its request.

:class:`MethodNotAllowedPageMiddleware`: a page's POST-only URL opened in the browser
(a bookmarked ``/operations/instances/7/suspend``) gets Django's empty 405, which a
browser shows as its own error page; it gets the branded page instead. The API's 405s
are problems already and are left alone.
"""

from __future__ import annotations

import math

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.shortcuts import render


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        try:
            host = request.get_host()
        except DisallowedHost:
            return parts  # Django answers 400 anyway; 'self' alone then
        sockets = [f"ws://{host}", f"wss://{host}"]
        update = dict(parts.update or {})
        update["connect-src"] = [*update.get("connect-src", []), *sockets]
        parts.update = update
        return parts


class SignInLockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None  # not an HTTP sign-in: nothing to count; the next backend decides
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_address(request) -> str | None:
    """The address sign-in failures are counted for (``AXES_CLIENT_IP_CALLABLE``).

    ``REMOTE_ADDR`` unless ``WORKFLOW_SIGNIN_PROXY_COUNT`` proxies are trusted: each of
    them appends the address it was reached from to X-Forwarded-For, so the client is the
    n-th entry from the right; entries left of it are the client's own to invent. A header
    shorter than that did not come through all the proxies: REMOTE_ADDR then.
    """
    trusted = settings.WORKFLOW_SIGNIN_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR")
    if trusted <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [h for h in hops if h]
    return hops[-trusted] if len(hops) >= trusted else remote


def locked_out(request, original_response=None, credentials=None):
    """The lockout page (``AXES_LOCKOUT_CALLABLE``): 429 with Retry-After, not a bare text."""
    seconds = int(get_cool_off(request).total_seconds())
    context = {
        "username": get_client_username(request, credentials) or "",
        "failure_limit": get_failure_limit(request, credentials),
        "minutes": max(math.ceil(seconds / 60), 1),
    }
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


class MethodNotAllowedPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 405
            and not response.content
            and not request.path.startswith("/api/")
        ):
            page = render(request, "405.html", {"allowed": response.get("Allow", "")}, status=405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response
