"""The seed workflow templates shipped with the platform (one JSON document per file).

``install_templates`` gives a tenant a published v1 of every template it does not have
yet (by key), creating the operator groups the templates assign work to. It is
idempotent: a definition the tenant already has (a template installed before, or its own
workflow with that key) is left alone. docs/templates.md describes each template and the
``python`` callables it names.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import transaction

from workflow_platform.tenancy.models import OperatorGroup, Tenant

from ..models import Definition
from ..services import create_definition, publish_version

TEMPLATE_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def _documents() -> tuple[str, ...]:
    return tuple(p.read_text() for p in sorted(TEMPLATE_DIR.glob("*.json")))


def template_documents() -> list[dict]:
    """A fresh copy of every template document, sorted by file name."""
    return [json.loads(text) for text in _documents()]


def groups_used(document: dict[str, Any]) -> set[str]:
    """Operator groups that a document's tasks are assigned or escalated to."""
    found: set[str] = set()
    for state in document.get("states") or []:
        task = state.get("task") or {}
        targets = [task.get("assign") or {}, task.get("escalate_to") or {}]
        rule = targets[0].get("rule")
        if isinstance(rule, dict):
            targets += [*(rule.get("rules") or []), rule.get("default") or {}]
        found |= {t["group"] for t in targets if isinstance(t, dict) and t.get("group")}
    return found


@transaction.atomic
def install_templates(*, tenant: Tenant) -> list[str]:
    """Publish v1 of every template ``tenant`` lacks; returns the keys installed.

    All drafts are created before any is published, so a parent template's reference to
    a child workflow (etl-partitions -> etl-partition) resolves. Raises
    ``Unprocessable`` if a shipped template does not validate (a bug, tested).
    """
    documents = template_documents()
    for name in sorted(set().union(*(groups_used(d) for d in documents))):
        OperatorGroup.objects.for_tenant(tenant).get_or_create(
            tenant=tenant, name=name, defaults={"description": "Created for the seed workflows."}
        )
    existing = set(Definition.objects.for_tenant(tenant).values_list("key", flat=True))
    drafts = [
        create_definition(
            tenant=tenant,
            key=document["key"],
            name=document["name"],
            description=document.get("description", ""),
            document=document,
        )
        for document in documents
        if document["key"] not in existing
    ]
    for draft in drafts:
        publish_version(tenant=tenant, version_id=draft.pk)
    return [draft.definition.key for draft in drafts]
