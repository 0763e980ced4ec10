"""How a published version stays as it was published: the guarded querysets.

A version's status is ``draft → published → retired``; only a draft changes. The models
(models.py) refuse changes one row at a time in ``save()`` and ``delete()``; the
querysets and managers here refuse them in bulk: ``update()``, ``delete()`` and
``bulk_create()`` of a version or of its rows (states, transitions, actions, human-task
specs) whenever a non-draft version is touched, a status change by ``update()``, and any
upsert. Each model uses them twice: tenant-scoped as its default manager, unscoped as its
base manager (``Meta.base_manager_name``), so ``_base_manager`` is no way around them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models

from workflow_platform.errors import Conflict
from workflow_platform.tenancy.scoping import TenantScopedManager, all_tenants

_M = TypeVar("_M", bound=models.Model)


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


def version_is_frozen() -> Conflict:
    return Conflict(
        "version_not_draft",
        "A published or retired version cannot change; start a new draft to edit it.",
    )


def refuse_upserts(kwargs: dict) -> None:
    # An upsert rewrites whichever existing row it collides with, draft or not.
    if kwargs.get("update_conflicts"):
        raise Conflict(
            "upsert_refused",
            "Versions and their rows are not upserted; save a draft through the services.",
        )


def frozen_statuses(statuses) -> bool:
    """True when any of ``statuses`` is not draft."""
    return any(status != VersionStatus.DRAFT for status in statuses)


class VersionQuerySet(models.QuerySet[_M]):
    def update(self, **kwargs):
        """Bulk updates may touch drafts only, and never the status.

        Publishing by ``update(status=...)`` would skip validation and the stamps of
        who and when: the status moves through ``publish()`` and ``retire()`` only.
        """
        if "status" in kwargs:
            raise Conflict(
                "status_by_update",
                "A version's status changes only by publishing or retiring it, "
                "never by a bulk update.",
            )
        with all_tenants():
            if self.exclude(status=VersionStatus.DRAFT).exists():
                raise version_is_frozen()
        return super().update(**kwargs)

    def delete(self):
        with all_tenants():
            if self.exclude(status=VersionStatus.DRAFT).exists():
                raise version_is_frozen()
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        """Inserts new versions; upserts, which could rewrite a published one, are refused."""
        refuse_upserts(kwargs)
        return super().bulk_create(objs, *args, **kwargs)


class VersionManager(TenantScopedManager[_M]):
    # The scoped manager filters whatever queryset class the plain manager builds.
    _queryset_class = VersionQuerySet


_VersionBaseManagerBase = models.Manager.from_queryset(VersionQuerySet)


class VersionBaseManager(_VersionBaseManagerBase):
    """The unscoped base manager (related objects, ``_base_manager``), guarded alike."""


class VersionPartQuerySet(models.QuerySet[_M]):
    """Bulk changes to the rows of a published or retired version are refused too.

    ``version_path`` leads from a row to its version; ``parent_field`` is the foreign
    key that attaches the row (moving a row is a change to both ends).
    """

    version_path = "version"
    parent_field = "version"
    parent_status = "status"  # from the parent to its version's status

    def _refuse_frozen(self) -> None:
        with all_tenants():
            if self.exclude(**{f"{self.version_path}__status": VersionStatus.DRAFT}).exists():
                raise version_is_frozen()

    def _refuse_frozen_parents(self, parent_ids: Iterable[Any]) -> None:
        """Refuse when a row would be attached to a non-draft version."""
        parent_model = self.model._meta.get_field(self.parent_field).related_model
        if parent_model is None:
            raise TypeError(f"'{self.parent_field}' is not a foreign key")
        with all_tenants():
            statuses = (
                parent_model._base_manager.filter(pk__in=set(parent_ids))
                .values_list(self.parent_status, flat=True)
                .distinct()
            )
            if frozen_statuses(statuses):
                raise version_is_frozen()

    def update(self, **kwargs):
        self._refuse_frozen()
        for key in (self.parent_field, f"{self.parent_field}_id"):
            if key in kwargs:
                target = kwargs[key]
                self._refuse_frozen_parents([getattr(target, "pk", target)])
        return super().update(**kwargs)

    def delete(self):
        self._refuse_frozen()
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        """Inserts rows into drafts only; upserts are refused (they rewrite any row)."""
        refuse_upserts(kwargs)
        objs = list(objs)
        self._refuse_frozen_parents(getattr(o, f"{self.parent_field}_id") for o in objs)
        return super().bulk_create(objs, *args, **kwargs)

    def insert_projection(self, objs) -> list:
        """Insert the rows of a version that is being saved (``materialize_rows`` only).

        A version stored as published directly gets its rows once, when it is created;
        everyone else goes through ``bulk_create``, which refuses non-draft versions.
        """
        return super().bulk_create(list(objs))


class VersionPartManager(TenantScopedManager[_M]):
    _queryset_class = VersionPartQuerySet


_VersionPartBaseManagerBase = models.Manager.from_queryset(VersionPartQuerySet)


class VersionPartBaseManager(_VersionPartBaseManagerBase):
    """The unscoped base manager of version rows, guarded like the default one."""


class HumanTaskSpecQuerySet(VersionPartQuerySet[_M]):
    version_path = "state__version"
    parent_field = "state"
    parent_status = "version__status"


class HumanTaskSpecManager(TenantScopedManager[_M]):
    _queryset_class = HumanTaskSpecQuerySet


_HumanTaskSpecBaseManagerBase = models.Manager.from_queryset(HumanTaskSpecQuerySet)


class HumanTaskSpecBaseManager(_HumanTaskSpecBaseManagerBase):
    """The unscoped base manager of task specs, guarded like the default one."""
