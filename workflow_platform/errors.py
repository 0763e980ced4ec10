"""The platform's own errors: a stable code and a message a person can act on.

The API turns them into RFC 9457 problem details and the UI into form errors, each in
one place (api/exceptions.py, the views' error handling).
"""

from __future__ import annotations

from typing import Any


class PlatformError(Exception):
    """Base of every error the platform raises on purpose."""

    status = 400

    def __init__(self, code: str, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class InvalidInput(PlatformError):
    status = 400


class NotFound(PlatformError):
    status = 404


class PermissionDenied(PlatformError):
    status = 403


class Conflict(PlatformError):
    status = 409


class Unprocessable(PlatformError):
    """Well-formed input that does not validate (a definition with problems)."""

    status = 422
