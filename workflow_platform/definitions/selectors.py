"""Reads of definitions and versions, tenant first (a forgotten tenant is a TypeError)."""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet

from workflow_platform.errors import NotFound
from workflow_platform.tenancy.models import Tenant

from .models import Definition, Dependency, Version, VersionStatus


def definitions_for(tenant: Tenant) -> QuerySet[Definition]:
    """The tenant's definitions, with ``version_count`` and ``latest_published`` numbers."""
    return Definition.objects.for_tenant(tenant).annotate(
        version_count=Count("versions"),
        latest_published=Max(
            "versions__number", filter=Q(versions__status=VersionStatus.PUBLISHED)
        ),
    )


def definition_of(tenant: Tenant, definition_id: int) -> Definition:
    """One definition of the tenant; ``NotFound`` otherwise (also for other tenants' ids)."""
    found = Definition.objects.for_tenant(tenant).filter(pk=definition_id).first()
    if found is None:
        raise NotFound("definition_not_found", f"There is no definition {definition_id}.")
    return found


def versions_of(tenant: Tenant, definition_id: int) -> QuerySet[Version]:
    """The definition's versions, newest first; ``NotFound`` if it is not the tenant's."""
    definition = definition_of(tenant, definition_id)
    return Version.objects.for_tenant(tenant).filter(definition=definition).order_by("-number")


def version_of(tenant: Tenant, version_id: int) -> Version:
    """One version of the tenant (with its definition); ``NotFound`` otherwise."""
    found = (
        Version.objects.for_tenant(tenant)
        .select_related("definition")
        .filter(pk=version_id)
        .first()
    )
    if found is None:
        raise NotFound("version_not_found", f"There is no version {version_id}.")
    return found


def published_version(tenant: Tenant, key: str) -> Version:
    """The latest published version of the definition ``key``; ``NotFound`` otherwise."""
    found = (
        Version.objects.for_tenant(tenant)
        .select_related("definition")
        .filter(definition__key=key, status=VersionStatus.PUBLISHED)
        .order_by("-number")
        .first()
    )
    if found is None:
        raise NotFound(
            "no_published_version", f"The workflow '{key}' has no published version to start."
        )
    return found


def dependencies_for(tenant: Tenant) -> QuerySet[Dependency]:
    return Dependency.objects.for_tenant(tenant)
