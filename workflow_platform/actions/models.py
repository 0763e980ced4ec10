"""Secrets that actions use as credentials, stored encrypted per tenant.

A secret is written (``services.set_secret``) and used by actions at call time
(``services.reveal_secret``); nothing else reads its value: the admin, the API, history
and action outputs only ever see its name.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

from workflow_platform.tenancy.models import TenantOwned

# A name usable in templates as ``{{ secrets.<name> }}``.
SECRET_NAME = RegexValidator(
    r"^[A-Za-z_][A-Za-z0-9_]{0,99}$",
    "Use letters, digits and underscores, starting with a letter or underscore.",
)


class Secret(TenantOwned):
    name = models.CharField(max_length=100, validators=[SECRET_NAME])
    description = models.CharField(max_length=300, blank=True)
    # Fernet token (see encryption.py); never shown, never serialised.
    ciphertext = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="unique_secret_name")
        ]
        ordering = ["tenant", "name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Secret {self.name!r} tenant={self.tenant_id}>"
