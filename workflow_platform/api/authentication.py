"""``Authorization: Bearer <token>`` with the tenancy app's hashed API tokens."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from workflow_platform.tenancy.services import authenticate_api_token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        token = authenticate_api_token(raw.strip())
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        # The token fixes the tenant of this request (request.auth.tenant).
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword
