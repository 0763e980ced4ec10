"""Health endpoints for load balancers, orchestrators and people.

- ``/livez``: the process answers (a liveness probe; it touches no backend, so a database
  outage never gets healthy web processes restarted).
- ``/healthz``: each backend probed now (database, Redis when used, the Celery broker):
  200 when all answer, otherwise 503 with ``Retry-After``, naming the backends down.
"""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse

from .backends import probe_all, retry_after


def livez(request) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def healthz(request) -> JsonResponse:
    backends = probe_all()
    down = sorted(name for name, state in backends.items() if not state["ok"])
    body = {"status": "unavailable" if down else "ok", "down": down, "backends": backends}
    response = JsonResponse(body, status=503 if down else 200)
    if down:
        response["Retry-After"] = str(retry_after())
    response["Cache-Control"] = "no-store"
    return response
