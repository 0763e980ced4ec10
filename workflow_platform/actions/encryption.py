"""Encryption at rest of action secrets (Fernet: AES-128-CBC with HMAC-SHA256).

The key comes from ``settings.WORKFLOW_SECRETS_KEY``: one Fernet key, or several
separated by commas for rotation (the first encrypts, all decrypt). When it is unset,
the key is derived from ``SECRET_KEY`` with HKDF-SHA256 so the embedded mode needs no
setup; production sets its own key so that rotating ``SECRET_KEY`` (sessions) does not
make every stored secret unreadable.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_HKDF_INFO = b"workflow-island action secrets v1"

__all__ = ["InvalidToken", "decrypt", "encrypt", "reencrypt"]


def _derive_key(secret_key: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(raw)


@lru_cache(maxsize=4)
def _box(configured: str, secret_key: str) -> MultiFernet:
    if not configured.strip():
        if not secret_key:
            raise ImproperlyConfigured("Set SECRET_KEY or WORKFLOW_SECRETS_KEY to store secrets.")
        return MultiFernet([Fernet(_derive_key(secret_key))])
    keys = []
    for part in configured.split(","):
        try:
            keys.append(Fernet(part.strip().encode()))
        except ValueError:
            raise ImproperlyConfigured(
                "WORKFLOW_SECRETS_KEY must be Fernet keys (32 url-safe base64-encoded bytes), "
                "comma-separated; make one with "
                '`python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"`.'
            ) from None
    return MultiFernet(keys)


def _current_box() -> MultiFernet:
    # Keyed by the settings' values, so a changed setting (tests, rotation) takes effect.
    return _box(getattr(settings, "WORKFLOW_SECRETS_KEY", "") or "", settings.SECRET_KEY)


def encrypt(value: str) -> str:
    return _current_box().encrypt(value.encode()).decode()


def decrypt(ciphertext: str) -> str:
    """The plain value; raises ``InvalidToken`` if it was encrypted under another key."""
    return _current_box().decrypt(ciphertext.encode()).decode()


def reencrypt(ciphertext: str) -> str:
    """The same value encrypted under the first (current) key: the last step of a key
    rotation. Raises ``InvalidToken`` if no configured key can read it."""
    return _current_box().rotate(ciphertext.encode()).decode()
