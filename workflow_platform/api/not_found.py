"""The API's answer for a URL under /api/ that matches no route: a problem, not HTML.

Mounted last in api/urls.py, so every unknown path under /api/ (including ids that do
not look like ids) gets the same 404 problem details as a missing object.
"""

from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


class NoSuchEndpoint(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []
    schema = None  # not an operation of the API

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise NotFound()

    def get(self, request, *args, **kwargs):
        raise NotFound()

    post = put = patch = delete = head = options = get
