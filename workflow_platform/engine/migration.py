"""Version migration: move chosen running instances to a newer version of their workflow.

An instance is pinned to the version that started it. An operator may move some (one or
many) to another published version of the same workflow with an explicit state mapping
(``{"old state": "new state"}``; a state left out keeps its name). The **dry run**
checks each instance and replays its history against the new version, reporting per
instance what would break before anything moves:

- ``no_mapping``: its current state is not in the new version and the mapping names none;
- ``mapped_state_missing``: the mapping points at a state the new version lacks;
- ``pending_tasks``: it has open human tasks and the new state is not a human state
  accepting the same decisions;
- ``transition_in_flight``: an accepted event or a retry is under way (its transition
  belongs to the old version);
- ``not_migratable``: ended, on another workflow, or already on that version;
- ``timer_not_scheduled``: a timer transition of the new state has an ``at`` that gives no
  date and time for the instance's data.

Replaying history adds *warnings* (not blockers): past transitions the new version has
no edge for. The real run refuses the whole batch when any instance has a problem
(``Unprocessable migration_invalid`` with the report); otherwise it moves them all in
one transaction: version, state, the old state's timers closed and the new one's
scheduled, open tasks re-pointed, a ``migrated`` history event, the fence bumped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from workflow_platform.definitions.machine import Machine
from workflow_platform.definitions.models import Version
from workflow_platform.errors import InvalidInput, NotFound, Unprocessable
from workflow_platform.tenancy.scoping import tenant_scope

from . import kinds
from .journal import save_one
from .machines import machine_of_version
from .models import (
    ENDED,
    HistoryEvent,
    Instance,
    Status,
    Timer,
    TimerKind,
)
from .moves import Move
from .pending import Pending
from .signals import Change
from .stepping import schedule_state_timers, timer_problem

if TYPE_CHECKING:
    from workflow_platform.tenancy.models import Tenant

MAX_INSTANCES = 1000


@dataclass
class InstancePlan:
    instance_id: int
    from_version: int | None
    from_state: str
    to_state: str | None
    problems: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


@dataclass
class MigrationReport:
    to_version: int
    dry_run: bool
    instances: list[InstancePlan]

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.instances)

    def as_dict(self) -> dict:
        return {
            "to_version": self.to_version,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "instances": [p.as_dict() for p in self.instances],
        }


def _problem(code: str, message: str) -> dict:
    return {"code": code, "message": message}


def _check_input(instance_ids, state_mapping) -> tuple[list[int], dict[str, str]]:
    if not isinstance(instance_ids, list | tuple) or not instance_ids:
        raise InvalidInput("bad_instance_ids", "Give a non-empty list of instance ids.")
    if len(instance_ids) > MAX_INSTANCES:
        raise InvalidInput("too_many_instances", f"Migrate at most {MAX_INSTANCES} at once.")
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in instance_ids):
        raise InvalidInput("bad_instance_ids", "Instance ids must be integers.")
    state_mapping = state_mapping or {}
    if not isinstance(state_mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in state_mapping.items()
    ):
        raise InvalidInput("bad_state_mapping", "The state mapping maps state names to names.")
    return list(dict.fromkeys(instance_ids)), state_mapping


def plan_instance(
    instance: Instance, target: Version, machine: Machine, mapping: dict[str, str]
) -> InstancePlan:
    """What moving ``instance`` to ``target`` would do, and what would break."""
    plan = InstancePlan(
        instance_id=instance.pk,
        from_version=getattr(instance.version, "number", None),
        from_state=instance.state,
        to_state=None,
    )
    if instance.definition_id != target.definition_id:
        plan.problems.append(_problem("not_migratable", "It runs another workflow."))
        return plan
    if instance.version_id == target.pk:
        plan.problems.append(_problem("not_migratable", "It already runs this version."))
        return plan
    if instance.status in ENDED:
        plan.problems.append(_problem("not_migratable", f"It is {instance.status}."))
        return plan
    if instance.state in mapping:
        to_state = mapping[instance.state]
        if to_state not in machine.states:
            plan.problems.append(
                _problem(
                    "mapped_state_missing",
                    f"State '{instance.state}' is mapped to '{to_state}', which version "
                    f"{target.number} does not have.",
                )
            )
            return plan
    elif instance.state in machine.states:
        to_state = instance.state
    else:
        plan.problems.append(
            _problem(
                "no_mapping",
                f"State '{instance.state}' is not in version {target.number} and the "
                "mapping names no state for it.",
            )
        )
        return plan
    plan.to_state = to_state
    new_state = machine.states[to_state]
    pending = instance.pending or Pending()
    if (pending.transition, pending.compensations, pending.fanout) != (None, None, None):
        plan.problems.append(
            _problem(
                "transition_in_flight",
                "A transition (an accepted event, a retry or a compensation) of the old "
                "version is under way; migrate it once it has settled.",
            )
        )
    for code, message in kinds.migration_problems(instance, machine, to_state, target.number):
        plan.problems.append(_problem(code, message))  # e.g. open tasks the state refuses
    if instance.status in (Status.WAITING, Status.RUNNING, Status.CREATED):
        problem = timer_problem(machine, new_state, instance.data, timezone.now())
        if problem:  # the new state's timer could not be scheduled after the move
            plan.problems.append(_problem("timer_not_scheduled", problem))
    plan.warnings.extend(_replay_warnings(instance, machine, mapping))
    return plan


def _replay_warnings(instance: Instance, machine: Machine, mapping: dict[str, str]) -> list[dict]:
    """Replay the instance's transitions over the new version's edges (mapped names)."""
    found = []
    events = HistoryEvent.objects.filter(
        instance_id=instance.pk, type=HistoryEvent.Type.TRANSITIONED
    ).order_by("seq")
    for event in events.values("seq", "from_state", "to_state", "event"):
        source = mapping.get(event["from_state"], event["from_state"])
        target = mapping.get(event["to_state"], event["to_state"])
        edges = [t for t in machine.outgoing(source) if t.target == target]
        if not edges:
            found.append(
                _problem(
                    "history_not_replayable",
                    f"History #{event['seq']}: {event['from_state']} → {event['to_state']} has "
                    f"no transition {source} → {target} in the new version.",
                )
            )
        elif not any(t.on == event["event"] for t in edges):
            found.append(
                _problem(
                    "history_trigger_changed",
                    f"History #{event['seq']}: {source} → {target} is now taken on "
                    f"{', '.join(sorted({t.on for t in edges}))}, not '{event['event']}'.",
                )
            )
    return found


def migrate_instances(
    *,
    tenant: Tenant,
    instance_ids: list[int],
    to_version_id: int,
    state_mapping: dict[str, str] | None,
    dry_run: bool = True,
    user=None,
) -> MigrationReport:
    """Move instances to another published version of their workflow (or only report).

    ``dry_run`` (the default) changes nothing and returns the report. The real run is
    atomic and all or nothing: any instance with a problem refuses the whole batch with
    Unprocessable ``migration_invalid`` (``details`` = the report's instances). Raises
    NotFound (version or instance), InvalidInput (ids, mapping), Conflict never.
    """
    ids, mapping = _check_input(instance_ids, state_mapping)
    with tenant_scope(tenant), transaction.atomic():
        target = (
            Version.objects.for_tenant(tenant)
            .select_related("definition")
            .filter(pk=to_version_id)
            .first()
        )
        if target is None or target.status != "published":
            raise NotFound(
                "version_not_published", f"Version {to_version_id} is not a published version."
            )
        machine = machine_of_version(target.pk)
        query = Instance.objects.for_tenant(tenant).select_related("version").filter(pk__in=ids)
        if not dry_run:
            query = query.select_for_update(of=("self",))
        found = {i.pk: i for i in query.order_by("pk")}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(
                "instance_not_found", f"Instances {', '.join(map(str, missing))} do not exist."
            )
        plans = [plan_instance(found[i], target, machine, mapping) for i in ids]
        report = MigrationReport(to_version=target.number, dry_run=dry_run, instances=plans)
        if dry_run:
            return report
        if not report.ok:
            raise Unprocessable(
                "migration_invalid",
                "Nothing was migrated: "
                + "; ".join(
                    f"instance {p.instance_id}: {p.problems[0]['message']}"
                    for p in plans
                    if not p.ok
                )[:1000],
                details=[p.as_dict() for p in plans],
            )
        now = timezone.now()
        for plan in plans:
            _move(found[plan.instance_id], target, machine, plan, user=user, now=now)
    return report


def _move(instance: Instance, target: Version, machine: Machine, plan, *, user, now) -> None:
    old_version = instance.version.number
    state_changed = instance.state != plan.to_state
    instance.version = target
    instance.state = plan.to_state
    move = Move(instance=instance, changes=[Change.MIGRATED])
    # Timers of the old version's state (timer transitions, timeout) are re-made from
    # the new version's; retries, polls and waits of the step in progress stay.
    Timer.objects.filter(
        instance_id=instance.pk,
        kind__in=(TimerKind.TRANSITION, TimerKind.STATE_TIMEOUT),
        fired_at__isnull=True,
        cancelled_at__isnull=True,
    ).update(cancelled_at=now)
    if instance.status in (Status.WAITING, Status.RUNNING, Status.CREATED):
        schedule_state_timers(move, machine, machine.states[plan.to_state], now=now)
    if state_changed:
        kinds.migrated(instance, plan.to_state)  # e.g. its open tasks follow the state
    move.record(
        HistoryEvent.Type.MIGRATED,
        now=now,
        from_state=plan.from_state,
        user=user,
        detail={
            "from_version": old_version,
            "to_version": target.number,
            "warnings": [w["message"] for w in plan.warnings][:20],
        },
    )
    save_one(move, now=now)
    Instance.objects.filter(pk=instance.pk).update(version=target)
