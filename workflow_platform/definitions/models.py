"""Workflow definitions, their versions, the rows materialised from a version, dependencies.

A version holds its state machine as a *document* (docs/definition-format.md) and moves
``draft → published → retired`` (django-fsm). The document is canonical; the State,
Transition, Action and HumanTaskSpec rows are a read-only projection of it, rebuilt when
a draft is saved, for the admin and for queries. A published version is immutable: the
engine pins instances to it, so ``Version.save()``, the queryset's ``update()``,
``delete()`` and ``bulk_create()`` refuse to change it (only its retirement passes), and
the rows of a non-draft version refuse the same changes too. The status changes only
through the publish and retire transitions, never through a bulk ``update()``.

The guard is in the ORM (immutability.py), not in database triggers: guarded querysets
serve as the models' default managers (tenant-scoped) and as their base managers
(``Meta.base_manager_name``, unscoped, which Django uses for related objects and which
``_base_manager`` returns), and upserts (``bulk_create(update_conflicts=True)``) are
refused outright, so every public ORM path goes through one check. Raw SQL and Django's
private ``_update()`` are not guarded; the platform's code never uses them on these
tables. Dependencies are per tenant: the rate limit, circuit breaker and bulkhead that
every worker honours together.
"""

from __future__ import annotations

from functools import cached_property
from typing import ClassVar, Self

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from workflow_platform.tenancy.models import TenantOwned
from workflow_platform.tenancy.scoping import all_tenants

from .immutability import (
    HumanTaskSpecBaseManager,
    HumanTaskSpecManager,
    VersionBaseManager,
    VersionManager,
    VersionPartBaseManager,
    VersionPartManager,
    VersionStatus,
    frozen_statuses,
    version_is_frozen,
)
from .machine import Machine, compile_machine
from .materialize import materialize_rows

# What may differ between a stored non-draft version and the one being saved: only the
# status, and only through the retire transition (checked separately).
_FROZEN_FIELDS = (
    "definition_id",
    "number",
    "document",
    "checksum",
    "created_by_id",
    "published_by_id",
    "published_at",
    "tenant_id",
)


class Definition(TenantOwned):
    key = models.SlugField(max_length=100)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="unique_definition_key")
        ]
        ordering = ["tenant", "key"]

    def __str__(self) -> str:
        return self.name or self.key


class Version(FSMModelMixin, TenantOwned):
    definition = models.ForeignKey(Definition, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = FSMField(default=VersionStatus.DRAFT, choices=VersionStatus.choices, protected=True)
    document = models.JSONField()
    checksum = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[VersionManager[Self]] = VersionManager()
    _guarded = VersionBaseManager()

    class Meta:
        base_manager_name = "_guarded"
        constraints = [
            models.UniqueConstraint(fields=["definition", "number"], name="unique_version_number")
        ]
        ordering = ["definition", "-number"]

    def __str__(self) -> str:
        return f"{self.definition.key} v{self.number} ({self.status})"

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT

    def save(self, *args, **kwargs) -> None:
        """Save a draft (and rebuild its rows), or retire a published version; nothing else.

        Raises ``Conflict("version_not_draft")`` when a published or retired version
        would change in any other way.
        """
        stored = None
        if self.pk is not None:
            with all_tenants():
                stored = (
                    type(self).objects.filter(pk=self.pk).values("status", *_FROZEN_FIELDS).first()
                )
        if stored is None:
            super().save(*args, **kwargs)
            materialize_rows(self)
        elif stored["status"] == VersionStatus.DRAFT:
            # Rebuilt while the stored row is still a draft: its parts refuse changes
            # once the version has left draft (publishing saves in this same call).
            materialize_rows(self)
            super().save(*args, **kwargs)
        else:
            retiring = (
                stored["status"] == VersionStatus.PUBLISHED and self.status == VersionStatus.RETIRED
            )
            unchanged = all(getattr(self, f) == stored[f] for f in _FROZEN_FIELDS)
            if not unchanged or not (retiring or self.status == stored["status"]):
                raise version_is_frozen()
            super().save(*args, **kwargs)
        self.__dict__.pop("machine", None)

    def delete(self, *args, **kwargs):
        if self.status != VersionStatus.DRAFT:
            raise version_is_frozen()
        return super().delete(*args, **kwargs)

    @cached_property
    def machine(self) -> Machine:
        return compile_machine(self.document)

    @transition(field=status, source=VersionStatus.DRAFT, target=VersionStatus.PUBLISHED)
    def publish(self) -> None:
        """Mark published; the publish *service* validates and stamps who and when."""

    @transition(field=status, source=VersionStatus.PUBLISHED, target=VersionStatus.RETIRED)
    def retire(self) -> None:
        """A retired version starts no new instances; running ones carry on."""


class VersionPart(TenantOwned):
    """A row materialised from a version's document: read-only unless the version is a draft."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(help_text="Index in the document.")

    objects: ClassVar[VersionPartManager[Self]] = VersionPartManager()
    _guarded = VersionPartBaseManager()

    class Meta:
        abstract = True
        base_manager_name = "_guarded"
        ordering = ["version", "position"]

    def save(self, *args, **kwargs) -> None:
        self._refuse_unless_draft()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_unless_draft()
        return super().delete(*args, **kwargs)

    def _refuse_unless_draft(self) -> None:
        # Both ends: the version the row is saved into and the one it is stored under.
        with all_tenants():
            stored = type(self)._base_manager.filter(pk=self.pk).values_list("version_id")
            statuses = Version._base_manager.filter(
                models.Q(pk=self.version_id) | models.Q(pk__in=stored)
            ).values_list("status", flat=True)
            if frozen_statuses(statuses):
                raise version_is_frozen()


class State(VersionPart):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="state_rows")
    name = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, default="normal")
    label = models.CharField(max_length=200, blank=True)
    timeout_seconds = models.FloatField(null=True, blank=True)
    spec = models.JSONField(default=dict, blank=True, help_text="The wait or parallel spec.")

    class Meta(VersionPart.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class HumanTaskSpec(TenantOwned):
    """What a human state opens: title template, assignment, form, due time, escalation."""

    state = models.OneToOneField(State, on_delete=models.CASCADE, related_name="task_spec")
    title = models.CharField(max_length=500)
    assign_group = models.CharField(max_length=100, blank=True)
    assign_user = models.CharField(max_length=150, blank=True)
    assign_rule = models.CharField(max_length=100, blank=True)
    form = models.JSONField(default=dict, blank=True)
    due_seconds = models.FloatField(null=True, blank=True)
    escalate_to = models.JSONField(null=True, blank=True)
    priority = models.IntegerField(default=0)

    objects: ClassVar[HumanTaskSpecManager[Self]] = HumanTaskSpecManager()
    _guarded = HumanTaskSpecBaseManager()

    class Meta:
        base_manager_name = "_guarded"

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self._refuse_unless_draft()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_unless_draft()
        return super().delete(*args, **kwargs)

    def _refuse_unless_draft(self) -> None:
        # Both ends, as for VersionPart: the state saved into and the one stored under.
        with all_tenants():
            stored = HumanTaskSpec._base_manager.filter(pk=self.pk).values_list("state_id")
            statuses = State._base_manager.filter(
                models.Q(pk=self.state_id) | models.Q(pk__in=stored)
            ).values_list("version__status", flat=True)
            if frozen_statuses(statuses):
                raise version_is_frozen()


class Transition(VersionPart):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="transition_rows")
    source = models.CharField(max_length=64)
    target = models.CharField(max_length=64)
    on = models.CharField(max_length=64, default="auto")
    guard = models.TextField(blank=True)
    action = models.CharField(max_length=64, blank=True)
    order = models.IntegerField(null=True, blank=True)
    after_seconds = models.FloatField(null=True, blank=True)
    at = models.TextField(blank=True)
    label = models.CharField(max_length=200, blank=True)

    class Meta(VersionPart.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.source} → {self.target} on {self.on}"


class Action(VersionPart):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="action_rows")
    name = models.CharField(max_length=64)
    type = models.CharField(max_length=16)
    params = models.JSONField(default=dict, blank=True)
    dependency = models.CharField(max_length=100, blank=True)
    timeout_seconds = models.FloatField(null=True, blank=True)
    retry = models.JSONField(default=dict, blank=True)
    compensation = models.CharField(max_length=64, blank=True)
    result_to = models.CharField(max_length=200, blank=True)
    result_map = models.JSONField(default=dict, blank=True)
    idempotent = models.BooleanField(default=True)

    class Meta(VersionPart.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.name} ({self.type})"


class Dependency(TenantOwned):
    """An external system a tenant's actions call, with the limits all workers share."""

    name = models.CharField(max_length=100)
    rate_limit_tps = models.FloatField(null=True, blank=True, help_text="Calls per second.")
    rate_limit_burst = models.PositiveIntegerField(
        null=True, blank=True, help_text="Calls allowed at once above the rate."
    )
    breaker_failure_threshold = models.PositiveIntegerField(
        null=True, blank=True, help_text="Consecutive failures that open the circuit."
    )
    breaker_recovery_seconds = models.FloatField(
        null=True, blank=True, help_text="How long the circuit stays open."
    )
    concurrency_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Calls in flight at most (bulkhead)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="unique_dependency_name")
        ]
        ordering = ["tenant", "name"]
        verbose_name_plural = "dependencies"

    def __str__(self) -> str:
        return self.name
