"""Every API error as RFC 9457 problem details, translated in this one place (ADR 0009).

Body (``application/problem+json``)::

    {"type": "urn:workflow-island:problem:<code>", "title": "...", "status": 409,
     "detail": "a message a person can act on", "code": "<code>",
     "instance": "/api/...", "errors": {"field": ["..."]}, "details": ...}

``errors`` carries field errors of a 400; ``details`` what a ``PlatformError`` attached
(the problems of a definition that does not validate). A ``NotFound`` is the same for a
missing object and for another tenant's, so nothing hints that it exists. A 429 carries
``Retry-After``, and so does a 503: a backend (the database, Redis, the broker) down or
overloaded (``api/backends.py``), the transaction rolled back. What Django itself
answers 400 (``SuspiciousOperation``, ``BadRequest``) stays a 400 problem, and a body
above ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413.

Anything else is a bug: a 500 problem that says so and nothing more (no exception text,
no traceback), logged with its traceback on ``django.request`` like any Django 500 and
signalled as ``got_request_exception`` so error reporters still see it. With ``DEBUG``
on, Django's debug page stays. :func:`server_error` is the same answer for the root
URLconf's ``handler500``, for errors raised outside an API view (middleware).
"""

from __future__ import annotations

import logging
import re
import sys
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    ObjectDoesNotExist,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.http import Http404, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from workflow_platform.errors import PlatformError

from .backends import retry_after, unavailable_backend

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:workflow-island:problem:"
API_PATH_PREFIX = "/api/"  # where api/urls.py is mounted (workflow_platform/urls.py)
SERVER_ERROR_DETAIL = (
    "The server failed to answer this request. This is a bug; please report it with the "
    "time of the request."
)

request_logger = logging.getLogger("django.request")


def server_error_body(path: str) -> dict:
    return {
        "type": PROBLEM_TYPE_PREFIX + "server_error",
        "title": HTTPStatus.INTERNAL_SERVER_ERROR.phrase,
        "status": 500,
        "detail": SERVER_ERROR_DETAIL,
        "code": "server_error",
        "instance": path,
    }


def unavailable_body(backend: str, path: str) -> dict:
    return {
        "type": PROBLEM_TYPE_PREFIX + "backend_unavailable",
        "title": HTTPStatus.SERVICE_UNAVAILABLE.phrase,
        "status": 503,
        "detail": f"The {backend} is unavailable or overloaded; nothing was changed. "
        "Try again after Retry-After seconds.",
        "code": "backend_unavailable",
        "backend": backend,
        "instance": path,
    }


def unavailable_problem(backend: str, path: str) -> JsonResponse:
    """The 503 problem for requests outside a DRF view (middleware, ``handler500``)."""
    response = JsonResponse(
        unavailable_body(backend, path), status=503, content_type=PROBLEM_CONTENT_TYPE
    )
    response["Retry-After"] = str(retry_after())
    return response


def unavailable_page(backend: str) -> HttpResponse:
    """The 503 page for the UI (``templates/503.html``, rendered without the request:
    its context processors would ask the backend that is down)."""
    seconds = retry_after()
    html = render_to_string("503.html", {"backend": backend, "retry_after": seconds})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(seconds)
    return response


def problem_response(
    *, status: int, code: str, detail: str, request=None, errors=None, details=None,
    headers: dict | None = None,
) -> Response:  # fmt: skip
    body = {
        "type": PROBLEM_TYPE_PREFIX + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if request is not None:
        body["instance"] = request.path
    if errors is not None:
        body["errors"] = errors
    if details is not None:
        body["details"] = details
    return Response(body, status=status, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _field_errors(detail) -> dict:
    """DRF's nested error detail as ``{"field": ["message", ...]}``."""
    if isinstance(detail, dict):
        return {str(key): _messages(value) for key, value in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _messages(value):
    if isinstance(value, dict):
        return _field_errors(value)
    if isinstance(value, list):
        if value and all(isinstance(item, dict) for item in value):
            return [_field_errors(item) for item in value]
        return [str(item) for item in value]
    return [str(value)]


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _invalid_input_detail(errors: dict) -> str:
    """ "The input is not valid: status: ..." naming the first field, so a client that
    reads only ``detail`` learns which field (or query parameter) to fix."""
    found = list(_first_messages(errors))
    if not found:
        return "The input is not valid."
    field, message = found[0]
    message = _CONTROL.sub("?", message)  # a message may quote the bad value back
    where = "" if field == "non_field_errors" else f"{field}: "
    more = f" (and {len(found) - 1} more in errors)" if len(found) > 1 else ""
    return f"The input is not valid: {where}{message[:200]}{more}"


def _first_messages(errors, prefix: str = ""):
    """``(dotted field, message)`` for every message of a ``_field_errors`` result."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = key if not prefix or key == "non_field_errors" else f"{prefix}.{key}"
            yield from _first_messages(value, name if key != "non_field_errors" else prefix)
    elif isinstance(errors, list):
        for index, item in enumerate(errors):
            if isinstance(item, str):
                yield prefix or "non_field_errors", item
            else:
                yield from _first_messages(item, f"{prefix}[{index}]")


def problem_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: return a problem response, or None for a server error."""
    request = context.get("request")
    if isinstance(exc, PlatformError):
        return problem_response(
            status=exc.status, code=exc.code, detail=exc.message, request=request,
            details=exc.details,
        )  # fmt: skip
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        return problem_response(status=404, code="not_found", detail="Not found.", request=request)
    if isinstance(exc, DjangoPermissionDenied):
        return problem_response(
            status=403, code="permission_denied", detail=str(exc) or "Not allowed.",
            request=request,
        )  # fmt: skip
    if isinstance(exc, RequestDataTooBig):
        return problem_response(
            status=413, code="request_too_large",
            detail="The request body is larger than the server accepts.", request=request,
        )  # fmt: skip
    if isinstance(exc, SuspiciousOperation | BadRequest):
        # Django answers these 400 itself (and logs them as security events); so do we.
        if isinstance(exc, SuspiciousOperation):
            logging.getLogger(f"django.security.{type(exc).__name__}").error(str(exc))
        return problem_response(
            status=400, code="bad_request", detail="The request is malformed.", request=request
        )
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {
            "non_field_errors": exc.messages
        }  # fmt: skip
        return problem_response(
            status=400, code="invalid_input", detail=_invalid_input_detail(errors),
            request=request, errors=errors,
        )  # fmt: skip
    if isinstance(exc, drf.ValidationError):
        errors = _field_errors(exc.detail)
        return problem_response(
            status=400, code="invalid_input", detail=_invalid_input_detail(errors),
            request=request, errors=errors,
        )  # fmt: skip
    if isinstance(exc, drf.APIException):
        headers = {}
        if isinstance(exc, drf.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
        if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
            authenticator = getattr(request, "successful_authenticator", None)
            view = context.get("view")
            header = view.get_authenticate_header(request) if view else None
            if header and authenticator is None:
                headers["WWW-Authenticate"] = header
        status = exc.status_code
        if status == 401 and "WWW-Authenticate" not in headers:
            status = 403  # DRF's rule: no challenge to offer, so not a 401
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return problem_response(
            status=status, code=str(exc.get_codes()) if isinstance(exc.get_codes(), str)
            else exc.default_code, detail=detail, request=request, headers=headers,
        )  # fmt: skip
    backend = unavailable_backend(exc)
    if backend is not None and request is not None:
        set_rollback()
        request_logger.warning("Backend unavailable (%s): %s", backend, request.path, exc_info=exc)
        return Response(
            unavailable_body(backend, request.path), status=503,
            headers={"Retry-After": str(retry_after())}, content_type=PROBLEM_CONTENT_TYPE,
        )  # fmt: skip
    return _server_error(exc, request)


def _server_error(exc: Exception, request) -> Response | None:
    """A bug in a view: log it like Django does and answer a bare 500 problem."""
    if settings.DEBUG or request is None:
        return None  # Django's debug page (or its own 500 outside a request)
    set_rollback()
    django_request = getattr(request, "_request", request)
    request_logger.error(
        "Internal Server Error: %s", request.path, exc_info=exc,
        extra={"status_code": 500, "request": django_request},
    )  # fmt: skip
    got_request_exception.send(sender=None, request=django_request)
    response = Response(
        server_error_body(request.path), status=500, content_type=PROBLEM_CONTENT_TYPE
    )
    response._has_been_logged = True  # Django's handler would log it again, without a trace
    return response


def server_error(request, *args, **kwargs):
    """``handler500``: a problem for paths under /api/, Django's own page elsewhere; a
    503 with ``Retry-After`` when the exception being handled is a backend's outage."""
    backend = unavailable_backend(sys.exc_info()[1])
    if backend is not None:
        if request.path.startswith(API_PATH_PREFIX):
            return unavailable_problem(backend, request.path)
        return unavailable_page(backend)
    if request.path.startswith(API_PATH_PREFIX):
        return JsonResponse(
            server_error_body(request.path), status=500, content_type=PROBLEM_CONTENT_TYPE
        )
    return defaults.server_error(request, *args, **kwargs)
