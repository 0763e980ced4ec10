"""A backend that is down answers 503 with ``Retry-After`` on every page, not a 500.

API views answer the problem themselves (``api/exceptions.py``); this middleware covers
the pages (designer, inbox, operations, admin): an exception a view raises because the
database, Redis or the broker is unavailable becomes the ``503.html`` page. Failures
raised by other middleware reach ``handler500`` (``api.exceptions.server_error``), which
tells them apart the same way.
"""

from __future__ import annotations

from .backends import unavailable_backend
from .exceptions import API_PATH_PREFIX, unavailable_page, unavailable_problem


class BackendUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        backend = unavailable_backend(exception)
        if backend is None:
            return None  # a bug: Django's 500 handling
        if request.path.startswith(API_PATH_PREFIX):
            return unavailable_problem(backend, request.path)
        return unavailable_page(backend)
