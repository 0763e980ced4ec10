"""Services on action secrets: set, delete, and the actions-only reveal.

Keyword-only, tenant first, atomic; errors are :mod:`workflow_platform.errors`
exceptions. Values are encrypted before they reach the database and are never
returned by anything a person or the API can call.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from workflow_platform.errors import InvalidInput, NotFound
from workflow_platform.tenancy.models import Tenant
from workflow_platform.tenancy.scoping import tenant_scope

from .base import NonRetryableActionError
from .encryption import InvalidToken, decrypt, encrypt
from .models import Secret

MAX_SECRET_BYTES = 16 * 1024


@transaction.atomic
def set_secret(*, tenant: Tenant, name: str, value: str, description: str = "") -> Secret:
    """Create or replace the secret ``name`` of ``tenant`` with ``value`` (encrypted).

    Idempotent: setting the same name again replaces the value. Raises InvalidInput
    ("bad_secret_name" or "bad_secret_value") for a name templates cannot use or an
    empty/oversized value. The returned row carries no plain value.
    """
    if not isinstance(value, str) or not value:
        raise InvalidInput("bad_secret_value", "A secret needs a non-empty text value.")
    if len(value.encode()) > MAX_SECRET_BYTES:
        raise InvalidInput(
            "bad_secret_value", f"A secret value is at most {MAX_SECRET_BYTES} bytes."
        )
    with tenant_scope(tenant):
        secret = Secret.objects.select_for_update().filter(name=name).first()
        if secret is None:
            secret = Secret(tenant=tenant, name=name)
        secret.ciphertext = encrypt(value)
        if description:
            secret.description = description
        try:
            secret.full_clean()
        except ValidationError as error:
            raise InvalidInput(
                "bad_secret_name",
                f"'{name}' cannot be a secret name: "
                + "; ".join(error.message_dict.get("name", error.messages)),
            ) from None
        secret.save()
    return secret


@transaction.atomic
def delete_secret(*, tenant: Tenant, name: str) -> None:
    """Delete the secret ``name``; NotFound ("secret_not_found") if the tenant has none."""
    with tenant_scope(tenant):
        deleted, _ = Secret.objects.filter(name=name).delete()
    if not deleted:
        raise NotFound("secret_not_found", f"There is no secret named '{name}'.")


def reveal_secret(*, tenant_id: int, name: str) -> str:
    """The plain value of a secret. For action types only, at call time; never store,
    log or return it. Raises NonRetryableActionError when it is missing or unreadable
    (a configuration problem that retrying will not fix).
    """
    ciphertext = (
        Secret.objects.for_tenant(Tenant(pk=tenant_id))
        .filter(name=name)
        .values_list("ciphertext", flat=True)
        .first()
    )
    if ciphertext is None:
        raise NonRetryableActionError(
            f"The secret '{name}' does not exist in this tenant.", code="secret_not_found"
        )
    try:
        return decrypt(ciphertext)
    except InvalidToken:
        raise NonRetryableActionError(
            f"The secret '{name}' cannot be decrypted with the current WORKFLOW_SECRETS_KEY.",
            code="secret_unreadable",
        ) from None
