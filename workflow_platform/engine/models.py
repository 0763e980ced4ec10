"""Instances, their history, timers and incidents: the engine's durable truth.

The database is the source of truth (docs/adr/0006-engine-database-is-the-truth.md). An
:class:`Instance` row is the *projection* of its append-only :class:`HistoryEvent` rows
(``replay_history`` proves it); it also carries the lease (owner, expiry, fencing token)
that lets exactly one worker move it at a time, and the ``ready`` flag that is the
engine's outbox: a commit that makes an instance runnable sets it in the same
transaction, so the sweep can always find work a lost Celery message did not deliver.
Timers, retries and escalations are :class:`Timer` rows with a due time, fired once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import RETURN_VALUE, FSMField, transition

from workflow_platform.tenancy.models import TenantOwned

from .pending import PendingField


class Status(models.TextChoices):
    CREATED = "created", "Created"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting"
    SUSPENDED = "suspended", "Suspended"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    COMPENSATING = "compensating", "Compensating"
    COMPENSATED = "compensated", "Compensated"
    CANCELLED = "cancelled", "Cancelled"


ENDED = (Status.COMPLETED, Status.COMPENSATED, Status.CANCELLED)
# A failed instance may still be retried by an operator (incident) or redriven.
OPEN = (Status.CREATED, Status.RUNNING, Status.WAITING, Status.SUSPENDED, Status.COMPENSATING)
LIVE = (Status.CREATED, Status.RUNNING, Status.WAITING, Status.COMPENSATING)


class Instance(TenantOwned):
    """One run of a published version: its machine state, data, lifecycle and lease."""

    version = models.ForeignKey(
        "definitions.Version", on_delete=models.PROTECT, related_name="instances"
    )
    # Denormalised from the version so the operator list filters without a join.
    definition = models.ForeignKey(
        "definitions.Definition", on_delete=models.PROTECT, related_name="instances"
    )
    # Lifecycle of the instance (the engine's own machine); ``state`` is the workflow's.
    # Not ``protected``: the executor moves many rows with one set-based UPDATE after
    # running the django-fsm transition methods on its in-memory copies.
    status = FSMField(default=Status.CREATED, choices=Status.choices)
    state = models.CharField(max_length=100)
    data = models.JSONField(default=dict, blank=True)
    priority = models.IntegerField(default=0)
    business_key = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=200, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    # ``step`` counts the transitions taken; the action being attempted is step + 1 and
    # its idempotency key ``wi-<id>-<step + 1>`` stays the same on every attempt.
    step = models.PositiveIntegerField(default=0)
    attempt = models.PositiveIntegerField(default=1)
    # Last history sequence number: the next event gets seq + 1, gapless.
    seq = models.PositiveIntegerField(default=0)
    # What the instance holds between commits (a transition chosen but not yet taken, a
    # child awaited, a fan-out, a compensation plan): a typed value, see pending.py.
    pending = PendingField(null=True, blank=True)
    # Runnable now: a worker should claim it. Set in the same commit as the change that
    # made it runnable (this flag is the outbox, docs/adr/0006).
    ready = models.BooleanField(default=False)
    ready_since = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Fencing token: bumped by every claim and every operator change, so a worker that
    # lost its lease cannot commit (its UPDATE matches no row).
    fence = models.BigIntegerField(default=0)
    # Leases of this instance that expired (their worker died) since its last commit by
    # a worker: a suspect is claimed alone, and one that keeps killing its worker (an
    # action that ends the process, a memory blow-up) fails with an incident
    # (leases.sweep_expired, docs/reliability.md). Not history: replay ignores it.
    lost_leases = models.PositiveSmallIntegerField(default=0)
    has_incident = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)
    # The W3C ``traceparent`` of the span that started it (empty while tracing is off):
    # every later step, on whatever worker and after whatever timer, joins that trace
    # (tracing.py, docs/adr/0015-traces-and-structured-logs.md). Written once, at the
    # start; not history, so replay ignores it.
    trace_context = models.CharField(max_length=55, blank=True, default="")
    # Events sent while the instance could not take them, waiting in its mailbox
    # (:mod:`.mailbox`). Written only under the row lock by the mailbox, never by a step
    # (not in ``MOVED_FIELDS``): a worker's commit leaves a count raised meanwhile intact.
    events_queued = models.PositiveIntegerField(default=0)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    # Not a column: the fencing token of the lease a worker claimed this copy under, set
    # by ``leases.claim`` on the instances it hands out (declared only, for the checker).
    held_fence: int

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="unique_instance_idempotency_key",
            )
        ]
        indexes = [
            # The claim query: ready instances by priority, oldest first.
            models.Index(
                fields=["-priority", "id"], condition=Q(ready=True), name="instance_ready"
            ),
            # Few indexes, none on what a step changes (state, status, data, step): a
            # transition is then a HOT update that writes no index entry (migration 0003
            # also leaves room on each page for it).
            models.Index(fields=["tenant", "-created_at"], name="instance_recent"),
            models.Index(fields=["tenant", "business_key"], name="instance_business_key"),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"instance {self.pk} ({self.state}, {self.status})"

    @property
    def is_ended(self) -> bool:
        return self.status in ENDED

    # --- lifecycle (django-fsm); the services and the executor call these -----------
    @transition(field=status, source=[Status.CREATED, Status.WAITING], target=Status.RUNNING)
    def run(self) -> None:
        """A worker (or an event, a timer, a decision) sets it moving."""

    @transition(field=status, source=[Status.CREATED, Status.RUNNING], target=Status.WAITING)
    def wait(self) -> None:
        """Parked: a human task, an event, a timer or a retry delay will wake it."""

    @transition(field=status, source=[Status.CREATED, Status.RUNNING], target=Status.COMPLETED)
    def complete(self) -> None:
        """Reached a final state."""

    @transition(
        field=status,
        source=[Status.CREATED, Status.RUNNING, Status.WAITING, Status.COMPENSATING],
        target=Status.FAILED,
    )
    def fail(self) -> None:
        """Reached a failed state, or a step failed for good (then with an incident)."""

    @transition(field=status, source=Status.FAILED, target=Status.RUNNING)
    def resume_after_incident(self) -> None:
        """An operator retried the incident."""

    @transition(field=status, source=[*OPEN, Status.FAILED], target=Status.CANCELLED)
    def cancel(self) -> None:
        """Stopped by a person: nothing more runs."""

    # From completed too: a finished branch of a parallel state whose sibling failed
    # under ``on_failure: compensate`` undoes its steps (fanout.py).
    @transition(
        field=status,
        source=[Status.RUNNING, Status.FAILED, Status.COMPLETED],
        target=Status.COMPENSATING,
    )
    def start_compensating(self) -> None:
        """A step failed for good (or a cancel asked for it): undo the completed steps."""

    @transition(field=status, source=Status.COMPENSATING, target=Status.COMPENSATED)
    def finish_compensating(self) -> None:
        """Every compensation ran."""

    @transition(
        field=status,
        source=[Status.CREATED, Status.RUNNING, Status.WAITING],
        target=Status.SUSPENDED,
    )
    def suspend(self) -> None:
        """Held by an operator: nothing runs and no timer fires until it is resumed."""

    @transition(
        field=status,
        source=Status.SUSPENDED,
        target=RETURN_VALUE(Status.CREATED, Status.RUNNING, Status.WAITING),
    )
    def resume(self, to: str) -> str:
        """Back to the lifecycle status it had when it was suspended."""
        return to


class HistoryEvent(TenantOwned):
    """One append-only fact about an instance; ``seq`` is gapless per instance.

    Replaying an instance's events in ``seq`` order reproduces its projection: each
    event carries the state, status and step *after* it and the data ``delta``
    (``{"set": {key: value}, "unset": [key]}``, top-level keys).
    """

    class Type(models.TextChoices):
        STARTED = "started"
        TRANSITIONED = "transitioned"
        EVENT_ACCEPTED = "event_accepted"
        EVENT_REFUSED = "event_refused"  # a buffered event no state took (mailbox.py)
        ACTION_FAILED = "action_failed"
        RETRY_SCHEDULED = "retry_scheduled"
        INCIDENT_OPENED = "incident_opened"
        INCIDENT_RETRIED = "incident_retried"
        WAITING = "waiting"
        TASK_OPENED = "task_opened"
        TASK_COMPLETED = "task_completed"
        TIMER_FIRED = "timer_fired"
        CHILD_STARTED = "child_started"
        CHILD_ENDED = "child_ended"
        CANCELLED = "cancelled"
        # Resilience (docs/resilience.md): sagas, suspension, redrive, migration.
        COMPENSATING = "compensating"
        COMPENSATION_RAN = "compensation_ran"
        COMPENSATION_FAILED = "compensation_failed"
        COMPENSATED = "compensated"
        SUSPENDED = "suspended"
        RESUMED = "resumed"
        REDRIVEN = "redriven"
        MIGRATED = "migrated"

    id = models.BigAutoField(primary_key=True)
    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="history")
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=32, choices=Type.choices)
    from_state = models.CharField(max_length=100, blank=True)
    to_state = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    step = models.PositiveIntegerField(default=0)
    event = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=100, blank=True)
    attempt = models.PositiveIntegerField(default=0)
    delta = models.JSONField(null=True, blank=True)
    detail = models.JSONField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instance", "seq"], name="unique_history_seq")
        ]
        ordering = ["instance", "seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.type} {self.from_state}→{self.to_state}"


class BufferedEvent(TenantOwned):
    """An event sent to an instance, kept in order until a state takes it (a signal).

    Every event sent through ``send_event`` has a row: taken at once (``delivered``),
    waiting for a state that accepts it (``queued``), or ``refused`` with the reason when
    no state the instance can still reach takes it or the instance ended first. The
    optional idempotency key makes sending the same event twice a no-op.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        DELIVERED = "delivered", "Delivered"
        REFUSED = "refused", "Refused"

    id = models.BigAutoField(primary_key=True)
    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="buffered_events")
    event = models.CharField(max_length=100)
    payload = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    reason = models.TextField(blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["instance", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="unique_buffered_event_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["instance", "id"],
                condition=Q(status="queued"),
                name="buffered_event_queued",
            )
        ]
        ordering = ["instance", "id"]

    def __str__(self) -> str:
        return f"event '{self.event}' to instance {self.instance_id} ({self.status})"


class TimerKind(models.TextChoices):
    TRANSITION = "transition", "Timer transition"
    RETRY = "retry", "Retry delay"
    STATE_TIMEOUT = "state_timeout", "State timeout"
    TASK_ESCALATION = "task_escalation", "Task escalation"
    POLL = "poll", "Poll (wait queue)"
    WAIT = "wait", "Wait deadline and completion token"


class Timer(TenantOwned):
    """A durable due time: fired once by the scheduler's sweep, even after a restart.

    ``key`` makes scheduling idempotent (the same retry or escalation is never scheduled
    twice); ``fired_at`` is set in the transaction that applies the timer's effect.
    """

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="timers")
    kind = models.CharField(max_length=20, choices=TimerKind.choices)
    key = models.CharField(max_length=200, unique=True)
    due_at = models.DateTimeField()
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(fired_at__isnull=True, cancelled_at__isnull=True),
                name="timer_due",
            )
        ]
        ordering = ["due_at"]

    def __str__(self) -> str:
        return (
            f"{self.kind} timer of instance {self.instance_id} at {self.due_at:%Y-%m-%d %H:%M:%S}"
        )

    @property
    def is_open(self) -> bool:
        return self.fired_at is None and self.cancelled_at is None


class Incident(TenantOwned):
    """A failure that needs an operator: a step that failed for good."""

    instance = models.ForeignKey(Instance, on_delete=models.CASCADE, related_name="incidents")
    state = models.CharField(max_length=100)
    step = models.PositiveIntegerField()
    action = models.CharField(max_length=100, blank=True)
    attempt = models.PositiveIntegerField(default=0)
    code = models.CharField(max_length=100)
    message = models.TextField()
    opened_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"incident on instance {self.instance_id}: {self.code}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


# The limits package's embedded-mode state is an engine model (app label "engine"); import
# it here so Django registers it and the engine's migrations create its table.
from .limits.models import DependencyState  # noqa: E402, F401
