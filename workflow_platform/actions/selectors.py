"""Reads of action secrets for people and pickers: names and dates, never values."""

from __future__ import annotations

from workflow_platform.tenancy.models import Tenant

from .models import Secret


def secret_names_for(tenant: Tenant) -> list[str]:
    """The names of the tenant's secrets, sorted (for pickers and validation)."""
    return list(Secret.objects.for_tenant(tenant).order_by("name").values_list("name", flat=True))
