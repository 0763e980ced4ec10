"""Per-token request throttling: a client that goes too fast gets 429 with Retry-After.

The count is kept per API token (per user for browser sessions, per address for
anonymous calls) in Django's cache, which is Redis when ``REDIS_URL`` is set so every web
process shares one count. The rate is read from settings on every request
(``WORKFLOW_API_RATE``, e.g. ``"1200/min"``).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from workflow_platform.tenancy.models import ApiToken

DEFAULT_RATE = "1200/min"


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str:
        return getattr(settings, "WORKFLOW_API_RATE", DEFAULT_RATE)

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiToken):
            # The hash, not the id: ids restart with a fresh database, hashes do not.
            ident = "token-" + request.auth.token_hash[:24]
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"addr-{self.get_ident(request) or 'unknown'}"
        return f"throttle-{self.scope}-{ident}"
