"""Services for edits the API offers that ``definitions.services`` has no verb for yet:
rename or re-describe a definition, tune a dependency's limits.

They are services of the definitions domain (one verb on one thing, keyword-only,
atomic, raising :mod:`workflow_platform.errors`) and belong in
``definitions/services.py``; they live here until that module's owner takes them over,
so the API stays a thin shell either way. Both change only existing fields of their
rows: the key of a definition never changes (its versions' documents carry it), and a
dependency's new limits reach every worker within ``engine.executor``'s row cache TTL
(5 s).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from workflow_platform.definitions.models import Definition, Dependency
from workflow_platform.errors import InvalidInput, NotFound
from workflow_platform.tenancy.models import Tenant
from workflow_platform.tenancy.scoping import tenant_scope

LIMIT_FIELDS = (
    "rate_limit_tps",
    "rate_limit_burst",
    "breaker_failure_threshold",
    "breaker_recovery_seconds",
    "concurrency_limit",
)


def _invalid(error: ValidationError) -> InvalidInput:
    field, messages = next(iter(error.message_dict.items()))
    return InvalidInput("invalid_input", f"{field}: {messages[0]}", details=error.message_dict)


@transaction.atomic
def change_definition(
    *, tenant: Tenant, definition_id: int, name: str | None = None, description: str | None = None
) -> Definition:
    """Change a definition's name and/or description (not its key); NotFound if foreign."""
    with tenant_scope(tenant):
        definition = Definition.objects.select_for_update().filter(pk=definition_id).first()
        if definition is None:
            raise NotFound("definition_not_found", f"There is no definition {definition_id}.")
        if name is not None:
            definition.name = name
        if description is not None:
            definition.description = description
        try:
            definition.full_clean(validate_constraints=False)
        except ValidationError as error:
            raise _invalid(error) from None
        definition.save(update_fields=["name", "description"])
    return definition


@transaction.atomic
def tune_dependency(*, tenant: Tenant, dependency_id: int, **limits) -> Dependency:
    """Set some of a dependency's limits (``LIMIT_FIELDS``; None or 0 turns one off).

    InvalidInput for an unknown field or a burst without a rate (a burst is the
    allowance above a rate, and means nothing alone).
    """
    unknown = sorted(set(limits) - set(LIMIT_FIELDS))
    if unknown:
        raise InvalidInput("unknown_limit", f"Not a dependency limit: {', '.join(unknown)}.")
    with tenant_scope(tenant):
        dependency = Dependency.objects.select_for_update().filter(pk=dependency_id).first()
        if dependency is None:
            raise NotFound("dependency_not_found", f"There is no dependency {dependency_id}.")
        for field, value in limits.items():
            setattr(dependency, field, value)
        if dependency.rate_limit_burst and not dependency.rate_limit_tps:
            raise InvalidInput(
                "burst_without_rate",
                "rate_limit_burst is the allowance above rate_limit_tps; set a rate too.",
            )
        try:
            dependency.full_clean(validate_constraints=False)
        except ValidationError as error:
            raise _invalid(error) from None
        dependency.save(update_fields=[*LIMIT_FIELDS, "updated_at"])
    return dependency
