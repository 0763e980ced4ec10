"""``/metrics``: the platform's Prometheus metrics (metrics.py, and latency.py's from the
processes of this host when ``PROMETHEUS_MULTIPROC_DIR`` is set), for the platform's operator.

Not for tenants: the figures span every tenant. With ``WORKFLOW_METRICS_TOKEN`` set a
scraper sends it as a bearer token; without it only requests from this machine
(loopback) and platform superusers are answered, so a default install leaks nothing.
"""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from . import latency
from .metrics import PlatformCollector


def _allowed(request: HttpRequest) -> bool:
    token = settings.WORKFLOW_METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(sent.encode(), token.encode())
    if request.user.is_authenticated and request.user.is_superuser:
        return True
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse("Not found.\n", status=404, content_type="text/plain")
    registry = latency.multiprocess_registry() if latency.enabled() else None
    registry = registry or CollectorRegistry(auto_describe=False)
    registry.register(PlatformCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
