"""What people do with definitions: create, rename, edit drafts, publish, retire, import,
export; and tune a dependency's limits.

Every service takes keyword arguments, the tenant first, runs in one transaction and
raises ``workflow_platform.errors`` exceptions. A version's document is stored in
canonical form (interchange.py) with its checksum; a draft may be invalid (the designer
saves work in progress), publishing validates it against the tenant and refuses it with
every problem listed. Published versions never change (models.py enforces it as well).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from workflow_platform.errors import Conflict, InvalidInput, NotFound, Unprocessable
from workflow_platform.tenancy.models import Tenant
from workflow_platform.tenancy.scoping import all_tenants, tenant_scope

from .asl.exporter import export as export_asl
from .asl_documents import asl_documents
from .bounds import refuse_out_of_bounds
from .checksum import canonical_json, document_checksum
from .form_schemas import record_field_orders
from .interchange import canonical_document, export_text, import_text
from .machine import FORMAT, parse_duration
from .models import Definition, Dependency, Version, VersionStatus
from .selectors import definition_of, version_of
from .validation import MAX_DOCUMENT_BYTES, validate_document


def starter_document(*, key: str, name: str, description: str = "") -> dict[str, Any]:
    """The smallest valid workflow: start, then done."""
    document = {
        "format": FORMAT,
        "key": key,
        "name": name,
        "initial": "start",
        "states": [{"name": "start"}, {"name": "done", "kind": "final"}],
        "transitions": [{"from": "start", "to": "done"}],
    }
    if description:
        document["description"] = description
    return canonical_document(document)


def _prepared(document: Any, key: str) -> dict[str, Any]:
    """``document`` in canonical form with the definition's key; refuses non-documents."""
    if not isinstance(document, dict):
        raise InvalidInput("not_an_object", "A definition document is a JSON object.")
    if document.get("key") not in (None, key):
        raise InvalidInput(
            "key_mismatch",
            f"The document's key '{document.get('key')}' is not the definition's key '{key}'.",
        )
    refuse_out_of_bounds(document)
    try:
        size = len(canonical_json(document).encode())
    except (TypeError, ValueError):
        raise InvalidInput("not_json", "The document holds values that are not JSON.") from None
    if size > MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            "document_too_large",
            f"The document is {size} bytes; the limit is {MAX_DOCUMENT_BYTES}.",
        )
    # The forms' field order first: canonical form sorts their keys.
    return canonical_document(record_field_orders({**document, "key": key}))


def _locked_version(tenant: Tenant, version_id: int) -> Version:
    version_of(tenant, version_id)  # NotFound for a missing or foreign id
    return Version.objects.for_tenant(tenant).select_for_update().get(pk=version_id)


def _new_version(*, tenant: Tenant, definition: Definition, document: dict, user) -> Version:
    Definition.objects.for_tenant(tenant).select_for_update().get(pk=definition.pk)
    last = (
        Version.objects.for_tenant(tenant).filter(definition=definition).aggregate(n=Max("number"))
    )
    version = Version(
        tenant=tenant,
        definition=definition,
        number=(last["n"] or 0) + 1,
        document=document,
        checksum=document_checksum(document),
        created_by=user,
    )
    with tenant_scope(tenant):
        # The status is django-fsm's to set (protected); everything else is checked.
        version.full_clean(exclude=["status"])
    version.save()
    return version


@transaction.atomic
def create_definition(
    *, tenant: Tenant, key: str, name: str, description: str = "", document=None, user=None
) -> Version:
    """Create a definition and its draft v1 (the starter workflow when no document is given).

    Raises ``InvalidInput`` for a bad key or document and ``Conflict("definition_exists")``
    when the tenant already has a definition with ``key``.
    """
    definition = Definition(tenant=tenant, key=key, name=name or key, description=description)
    with tenant_scope(tenant):
        try:
            definition.full_clean(validate_constraints=False)
        except ValidationError as error:
            raise InvalidInput(
                "invalid_definition", _first_message(error), details=error.message_dict
            ) from None
        if Definition.objects.filter(key=key).exists():
            raise Conflict("definition_exists", f"A workflow with the key '{key}' already exists.")
    if document is None:
        document = starter_document(key=key, name=definition.name, description=description)
    document = _prepared(document, key)
    definition.save()
    return _new_version(tenant=tenant, definition=definition, document=document, user=user)


def _first_message(error: ValidationError) -> str:
    for field, messages in error.message_dict.items():
        return f"{field}: {messages[0]}"
    return "The definition is not valid."


@transaction.atomic
def save_draft(
    *, tenant: Tenant, version_id: int, document, expected_checksum=None, user=None
) -> Version:
    """Replace a draft's document (it may still have problems; publishing checks).

    ``Conflict("draft_changed")`` when ``expected_checksum`` is given and the stored
    draft's checksum differs (someone else saved meanwhile);
    ``Conflict("version_not_draft")`` for a published or retired version.
    """
    version = _locked_version(tenant, version_id)
    if version.status != VersionStatus.DRAFT:
        raise Conflict("version_not_draft", "Only a draft can be edited; start a new draft.")
    if expected_checksum is not None and expected_checksum != version.checksum:
        raise Conflict(
            "draft_changed", "The draft was changed by someone else since you loaded it."
        )
    version.document = _prepared(document, version.definition.key)
    version.checksum = document_checksum(version.document)
    version.save()
    return version


@transaction.atomic
def publish_version(*, tenant: Tenant, version_id: int, user=None) -> Version:
    """Validate a draft against the tenant and publish it (immutable from then on).

    Declared dependencies that the tenant does not have yet are created from the
    document (existing rows win). Raises ``Unprocessable("invalid_definition")`` with
    ``details`` = every problem, ``Conflict("version_not_draft")`` if not a draft.
    """
    version = _locked_version(tenant, version_id)
    if version.status != VersionStatus.DRAFT:
        raise Conflict("version_not_draft", "Only a draft can be published.")
    problems = validate_document(version.document, tenant=tenant)
    if problems:
        raise Unprocessable(
            "invalid_definition",
            f"The definition has {len(problems)} problem(s); the first: {problems[0]}.",
            details=[p.as_dict() for p in problems],
        )
    _add_missing_dependencies(tenant, version.document.get("dependencies") or {})
    version.publish()
    version.published_by = user
    version.published_at = timezone.now()
    version.save()
    return version


def _add_missing_dependencies(tenant: Tenant, declared: dict[str, Any]) -> None:
    existing = set(Dependency.objects.for_tenant(tenant).values_list("name", flat=True))
    for name, raw in declared.items():
        if name in existing:
            continue
        limit, breaker = raw.get("rate_limit") or {}, raw.get("circuit_breaker") or {}
        recovery_time = parse_duration(breaker.get("recovery_time"))
        recovery = recovery_time.total_seconds() if recovery_time is not None else None
        Dependency.objects.create(
            tenant=tenant,
            name=name,
            rate_limit_tps=limit.get("tps"),
            rate_limit_burst=limit.get("burst"),
            breaker_failure_threshold=breaker.get("failure_threshold"),
            breaker_recovery_seconds=recovery,
            concurrency_limit=raw.get("concurrency"),
        )


@transaction.atomic
def retire_version(*, tenant: Tenant, version_id: int, user=None) -> Version:
    """Retire a published version: it starts no new instances; running ones carry on.

    Raises ``Conflict("version_not_published")`` for a draft or an already retired one.
    """
    version = _locked_version(tenant, version_id)
    if version.status != VersionStatus.PUBLISHED:
        raise Conflict("version_not_published", "Only a published version can be retired.")
    version.retire()
    version.save()
    return version


@transaction.atomic
def new_draft(*, tenant: Tenant, definition_id: int, from_version_id=None, user=None) -> Version:
    """A draft to edit, copied from ``from_version_id`` (default: the newest version).

    A definition has at most one draft: when it already has one, that draft is returned
    unchanged. Raises ``NotFound`` for ids outside the tenant.
    """
    definition = definition_of(tenant, definition_id)
    Definition.objects.for_tenant(tenant).select_for_update().get(pk=definition.pk)
    versions = Version.objects.for_tenant(tenant).filter(definition=definition)
    existing = versions.filter(status=VersionStatus.DRAFT).order_by("-number").first()
    if existing is not None:
        return existing
    source = (
        version_of(tenant, from_version_id)
        if from_version_id is not None
        else versions.order_by("-number").first()
    )
    if source is None or source.definition_id != definition.pk:
        raise InvalidInput("wrong_version", "The version to copy is not of this definition.")
    return _new_version(tenant=tenant, definition=definition, document=source.document, user=user)


@transaction.atomic
def import_document(
    *, tenant: Tenant, text, fmt: str = "json", user=None, key: str | None = None
) -> Version:
    """Import JSON or YAML text as a draft: of a new definition, or a new version of an
    existing one (by the document's key).

    ``fmt`` ``"asl"`` reads an Amazon States Language machine (JSON or YAML) and
    translates it (``asl.importer``); ASL has no key, so ``key`` names the definition.

    Raises ``InvalidInput`` for text that does not parse or has no valid key (for ASL:
    ``invalid_asl`` with every located problem) and ``Conflict("draft_exists")`` if the
    definition already has a draft.
    """
    if fmt == "asl":
        if not key:
            raise InvalidInput("missing_key", "An ASL machine has no key: give the definition one.")
        document, children = asl_documents(text, key=key)
        for child in children:
            _publish_child(tenant=tenant, document=child, user=user)
    else:
        document = import_text(text, fmt)
    key = document.get("key")
    if not isinstance(key, str) or not key:
        raise InvalidInput("missing_key", "The document needs a 'key' to import it.")
    definition = Definition.objects.for_tenant(tenant).filter(key=key).first()
    if definition is None:
        name = document.get("name")
        name = name if isinstance(name, str) else key
        return create_definition(
            tenant=tenant,
            key=key,
            name=name[:200],
            description=str(document.get("description") or "")[:5000],
            document=document,
            user=user,
        )
    drafts = Version.objects.for_tenant(tenant).filter(
        definition=definition, status=VersionStatus.DRAFT
    )
    draft = drafts.first()
    if draft is not None:
        raise Conflict(
            "draft_exists",
            f"'{key}' already has a draft (v{draft.number}); save into it or publish it first.",
        )
    return _new_version(
        tenant=tenant, definition=definition, document=_prepared(document, key), user=user
    )


def _publish_child(*, tenant: Tenant, document: dict[str, Any], user=None) -> None:
    """Create and publish a child definition an ASL Map or Parallel state runs, unless
    the tenant has it: its key holds the hash of its sub-machine (asl/fanouts.py)."""
    if Definition.objects.for_tenant(tenant).filter(key=document["key"]).exists():
        return
    draft = create_definition(
        tenant=tenant, key=document["key"], name=document["key"], document=document, user=user
    )
    publish_version(tenant=tenant, version_id=draft.pk, user=user)


def export_version(*, tenant: Tenant, version_id: int, fmt: str = "json") -> str:
    """The version's document as canonical JSON or YAML text (import gives it back).

    ``fmt`` ``"asl"``: an Amazon States Language machine (JSON), or ``AslError``
    (``invalid_asl``, 400) locating every part that has no ASL form.
    """
    document = version_of(tenant, version_id).document
    if fmt == "asl":
        return json.dumps(export_asl(document), indent=2, ensure_ascii=False) + "\n"
    return export_text(document, fmt)


@transaction.atomic
def delete_definition(*, tenant: Tenant, definition_id: int) -> None:
    """Delete a definition with all its versions.

    Raises ``Conflict("definition_in_use")`` when instances were started from it or a
    version is published (retire it first): history must keep its definition.
    """
    definition = definition_of(tenant, definition_id)
    versions = Version.objects.for_tenant(tenant).filter(definition=definition)
    if versions.filter(status=VersionStatus.PUBLISHED).exists():
        raise Conflict(
            "definition_in_use", "A version is published; retire it before deleting the workflow."
        )
    if _has_instances(definition):
        raise Conflict("definition_in_use", "Instances were started from this workflow.")
    # The queryset's own delete() refuses non-drafts; retired versions without instances
    # may go with their definition, so this deliberate path uses the plain QuerySet's.
    QuerySet.delete(versions)
    definition.delete()


def _has_instances(definition: Definition) -> bool:
    related = getattr(definition, "instances", None)
    if related is None:
        return False
    with all_tenants():
        return related.exists()


# --- names and limits (no version involved) ---------------------------------------
# A definition's key never changes (its versions' documents carry it); a dependency's new
# limits reach every worker within engine.executor's row cache TTL (5 s).
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
