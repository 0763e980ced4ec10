"""A call to a dependency asks its limits first and reports back after, always the same way.

Forward steps (:mod:`.executor`), compensations (:mod:`.sagas`) and polls
(:mod:`.waiting`) all go through here. :func:`ask` finds the limits that apply (the
tenant's ``Dependency`` row wins, as admins tune it; else the document's declaration)
and asks ``engine.limits.admit``. The :class:`Gate` it returns remembers the bulkhead
slot the call took, so :func:`done` gives back *that* slot, not whichever is oldest
(another worker's call still in flight), feeds the breaker and turns a 429's
Retry-After into a ``defer`` every worker honours. A gate that was not admitted says
until when (``retry_at``): the caller parks the step as a durable timer, never a sleep.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from workflow_platform.definitions.machine import Machine
from workflow_platform.definitions.models import Dependency
from workflow_platform.tenancy.scoping import all_tenants

from .limits import Admission, DependencyLimits, defer, record_result, release
from .limits import admit as admit_call

DEPENDENCY_ROWS_TTL = 5.0  # seconds an admin's change to a limit takes to reach workers
_DEPENDENCY_ROWS: dict[tuple[int, str], tuple[float, object]] = {}


@dataclass(frozen=True)
class Gate:
    """The limits' answer for one call: admitted (holding ``admission.slot``) or not."""

    tenant_id: int
    limits: DependencyLimits | None  # None: the action names no limited dependency
    admission: Admission

    @property
    def admitted(self) -> bool:
        return self.admission.admitted


def limits_of(machine: Machine, dependency: str | None, tenant_id: int):
    """The limits of ``dependency`` for this tenant, or None when nothing is enforced."""
    if not dependency:
        return None
    row = _tenant_dependency(tenant_id, dependency)
    if row is not None:
        limits = DependencyLimits.from_model(row)
    elif dependency in machine.dependencies:
        limits = DependencyLimits.from_machine(machine.dependencies[dependency])
    else:
        return None
    return limits if limits.enforces_anything else None


def _tenant_dependency(tenant_id: int, name: str):
    key = (tenant_id, name)
    cached = _DEPENDENCY_ROWS.get(key)
    if cached is not None and time.monotonic() - cached[0] < DEPENDENCY_ROWS_TTL:
        return cached[1]
    with all_tenants():
        row = Dependency.objects.filter(tenant_id=tenant_id, name=name).first()
    _DEPENDENCY_ROWS[key] = (time.monotonic(), row)
    return row


def ask(machine: Machine, dependency: str | None, tenant_id: int) -> Gate:
    """May a call to ``dependency`` start now? Takes a token and a slot when admitted."""
    limits = limits_of(machine, dependency, tenant_id)
    if limits is None:
        return Gate(tenant_id, None, Admission(True))
    return Gate(tenant_id, limits, admit_call(tenant_id=tenant_id, dependency=limits))


def done(gate: Gate, *, error: Exception | None = None) -> datetime | None:
    """The admitted call ended (``error`` None: it succeeded): report it, free its slot.

    For a 429 with Retry-After, returns when this caller should try again: paced with the
    other callers the deferral holds (``limits.defer``). None otherwise, or when the
    dependency has no shared limits to pace by (the caller waits its Retry-After).
    """
    if gate.limits is None or not gate.admitted:
        return None
    release(tenant_id=gate.tenant_id, dependency=gate.limits, slot=gate.admission.slot)
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        until = timezone.now() + timedelta(seconds=retry_after)
        return defer(tenant_id=gate.tenant_id, dependency=gate.limits, until=until)
    if error is None or getattr(error, "retryable", True):
        # A non-retryable answer (a 4xx) is the request's fault, not the dependency's.
        record_result(tenant_id=gate.tenant_id, dependency=gate.limits, ok=error is None)
    return None
