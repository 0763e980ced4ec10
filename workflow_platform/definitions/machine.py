"""The compiled, read-only view of a workflow document that the engine and UIs run on.

A version stores its definition as a *document* (the JSON interchange format of
docs/definition-format.md). :func:`compile_machine` turns a **validated** document into
a :class:`Machine`: frozen dataclasses with the lookups the engine needs (transitions
out of a state by trigger, in their evaluation order). It does not validate; call
``definitions.validation.validate_document`` first (publishing does).

Vocabulary (seed 002): states are nodes, transitions are edges that fire on a trigger
(``auto``, ``timer`` or a named event), may be guarded by a condition on the instance's
data, and may run one action.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

FORMAT = "workflow-island/v1"

STATE_KINDS = ("normal", "human", "wait", "parallel", "final", "failed")
TERMINAL_KINDS = ("final", "failed")
AUTO = "auto"
TIMER = "timer"
# Events the engine itself raises: a wait that completed or passed its deadline, a
# parallel state whose join condition held or failed.
SYSTEM_EVENTS = ("completed", "deadline", "joined", "join_failed")
# The trigger of a transition that catches its state's failed action (ASL Catch).
ERROR = "error"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str | int | float | None) -> timedelta | None:
    """``"500ms"``, ``"30s"``, ``"5m"``, ``"2h"``, ``"1d"`` (or seconds as a number)."""
    if text is None:
        return None
    if isinstance(text, bool):
        raise ValueError("a duration is a string like '30s' or a number of seconds")
    if isinstance(text, int | float):
        if text < 0:
            raise ValueError("a duration cannot be negative")
        return timedelta(seconds=text)
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"'{text}' is not a duration like '500ms', '30s', '5m', '2h' or '1d'")
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    initial_interval: timedelta = timedelta(seconds=1)
    backoff: float = 2.0
    max_interval: timedelta = timedelta(minutes=5)
    jitter: float = 0.2  # +/- this fraction of the delay
    non_retryable: tuple[str, ...] = ()

    def delay_before(self, attempt: int) -> timedelta:
        """Delay before ``attempt`` (2 = the first retry), without jitter."""
        growth = max(attempt - 2, 0)
        cap = self.max_interval.total_seconds()
        try:
            seconds = self.initial_interval.total_seconds() * (self.backoff**growth)
        except OverflowError:  # backoff ** growth beyond a double: long past the cap
            seconds = cap
        return timedelta(seconds=min(seconds, cap))

    def jitter_bounds(self, attempt: int) -> tuple[float, float]:
        """Seconds the delay before ``attempt`` lies between, jitter included (±jitter)."""
        base = self.delay_before(attempt).total_seconds()
        return max(0.0, base * (1 - self.jitter)), base * (1 + self.jitter)

    def retries(self, *, code: str, retryable: bool, attempt: int) -> bool:
        """Whether a failed ``attempt`` with error ``code`` is tried again."""
        return retryable and code not in self.non_retryable and attempt < self.max_attempts


@dataclass(frozen=True)
class Action:
    name: str
    type: str  # http | python | set | subworkflow | notify
    params: dict[str, Any] = field(default_factory=dict)
    dependency: str | None = None
    timeout: timedelta = timedelta(seconds=30)
    retry: RetryPolicy = RetryPolicy()
    compensation: str | None = None  # name of another action
    result_to: str | None = None  # store the whole result at this data key
    result_map: dict[str, str] = field(default_factory=dict)  # data key -> result path
    idempotent: bool = True


@dataclass(frozen=True)
class Dependency:
    name: str
    tps: float | None = None
    burst: int | None = None
    failure_threshold: int | None = None
    recovery_time: timedelta | None = None
    concurrency: int | None = None


@dataclass(frozen=True)
class TaskSpec:
    """What a ``human`` state opens for operators."""

    title: str
    assign: dict[str, Any] = field(default_factory=dict)  # {"group"|"user"|"rule": ...}
    form: dict[str, Any] = field(default_factory=dict)  # JSON Schema of the decision data
    due: timedelta | None = None
    escalate_to: dict[str, Any] | None = None
    priority: int = 0


@dataclass(frozen=True)
class WaitSpec:
    """How a ``wait`` state learns that its async operation completed."""

    poll_action: str | None = None
    interval: timedelta = timedelta(seconds=30)
    backoff: float = 1.5
    max_interval: timedelta = timedelta(minutes=10)
    deadline: timedelta | None = None


@dataclass(frozen=True)
class ParallelSpec:
    """Fan-out of a ``parallel`` state and its fan-in (join) policy."""

    branches: tuple[dict[str, Any], ...] = ()  # [{"name":..., "workflow": key, "data": {...}}]
    map_over: str | None = None  # expression yielding a list of items
    workflow: str | None = None  # child definition key for map items
    item_as: str = "item"
    concurrency: int | None = None
    join: str = "all"  # all | any | n
    n: int | None = None
    on_failure: str = "fail_fast"  # fail_fast | wait_all | compensate
    results_to: str | None = None


@dataclass(frozen=True)
class State:
    name: str
    kind: str = "normal"
    label: str = ""
    timeout: timedelta | None = None  # state timeout: raises the "timeout" event
    task: TaskSpec | None = None
    wait: WaitSpec | None = None
    parallel: ParallelSpec | None = None
    position: tuple[float, float] | None = None  # designer layout only
    error: dict[str, str] | None = None  # failed states: {"code", "cause"} to fail with

    @property
    def is_terminal(self) -> bool:
        return self.kind in TERMINAL_KINDS


@dataclass(frozen=True)
class Transition:
    index: int  # position in the document: a stable id within a version
    source: str
    target: str
    on: str = AUTO
    when: str | None = None  # guard expression over the instance's data
    action: str | None = None
    order: int | None = None
    after: timedelta | None = None  # timer trigger: after entering the state
    at: str | None = None  # timer trigger: expression yielding an ISO datetime
    label: str = ""
    choice: dict[str, Any] | None = None  # an ASL Choice rule: a data-driven guard
    errors: tuple[str, ...] = ()  # "error" trigger: the action errors it catches
    asl: dict[str, Any] | None = None  # ASL input/output processing (definitions.asl)


@dataclass(frozen=True)
class Machine:
    key: str
    name: str
    initial: str
    states: dict[str, State]
    transitions: tuple[Transition, ...]
    actions: dict[str, Action]
    dependencies: dict[str, Dependency]
    description: str = ""
    # Named read-only expressions over an instance (``data``, ``instance``, ``history``).
    queries: dict[str, str] = field(default_factory=dict)

    def state(self, name: str) -> State:
        return self.states[name]

    def outgoing(self, state: str, on: str | None = None) -> list[Transition]:
        """Transitions out of ``state`` (for one trigger), in the order guards are tried."""
        found = [t for t in self.transitions if t.source == state and (on is None or t.on == on)]
        return sorted(found, key=lambda t: (t.order if t.order is not None else 1_000_000, t.index))

    def events_of(self, state: str) -> list[str]:
        """Named events (and human decisions) that ``state`` accepts."""
        seen: list[str] = []
        for t in self.outgoing(state):
            if t.on not in (AUTO, TIMER) and t.on not in seen:
                seen.append(t.on)
        return seen

    def events_ahead(self, state: str) -> set[str]:
        """Named events that ``state`` or any state reachable from it accepts: an event
        outside this set can never be taken by an instance now in ``state``."""
        seen, todo, events = {state}, [state], set()
        while todo:
            for t in self.outgoing(todo.pop()):
                if t.on not in (AUTO, TIMER):
                    events.add(t.on)
                if t.target not in seen:
                    seen.add(t.target)
                    todo.append(t.target)
        return events


def _retry(raw: dict[str, Any] | None) -> RetryPolicy:
    raw = raw or {}
    default = RetryPolicy()
    return RetryPolicy(
        max_attempts=int(raw.get("max_attempts", default.max_attempts)),
        initial_interval=parse_duration(raw.get("initial_interval")) or default.initial_interval,
        backoff=float(raw.get("backoff", default.backoff)),
        max_interval=parse_duration(raw.get("max_interval")) or default.max_interval,
        jitter=float(raw.get("jitter", default.jitter)),
        non_retryable=tuple(raw.get("non_retryable", ())),
    )


def _state(raw: dict[str, Any]) -> State:
    task = raw.get("task")
    wait = raw.get("wait")
    par = raw.get("parallel")
    pos = raw.get("position")
    return State(
        name=raw["name"],
        kind=raw.get("kind", "normal"),
        label=raw.get("label", ""),
        timeout=parse_duration(raw.get("timeout")),
        task=TaskSpec(
            title=task.get("title", raw["name"]),
            assign=dict(task.get("assign") or {}),
            form=dict(task.get("form") or {}),
            due=parse_duration(task.get("due")),
            escalate_to=task.get("escalate_to"),
            priority=int(task.get("priority", 0)),
        )
        if task
        else None,
        wait=WaitSpec(
            poll_action=wait.get("poll"),
            interval=parse_duration(wait.get("interval")) or WaitSpec.interval,
            backoff=float(wait.get("backoff", WaitSpec.backoff)),
            max_interval=parse_duration(wait.get("max_interval")) or WaitSpec.max_interval,
            deadline=parse_duration(wait.get("deadline")),
        )
        if wait is not None
        else None,
        parallel=ParallelSpec(
            branches=tuple(par.get("branches", ())),
            map_over=par.get("map_over"),
            workflow=par.get("workflow"),
            item_as=par.get("item_as", "item"),
            concurrency=par.get("concurrency"),
            join=par.get("join", "all"),
            n=par.get("n"),
            on_failure=par.get("on_failure", "fail_fast"),
            results_to=par.get("results_to"),
        )
        if par is not None
        else None,
        position=(float(pos["x"]), float(pos["y"])) if pos else None,
        error=dict(raw["error"]) if raw.get("error") else None,
    )


def compile_machine(document: dict[str, Any]) -> Machine:
    """Build the :class:`Machine` of a validated document."""
    actions = {
        name: Action(
            name=name,
            type=raw["type"],
            params=dict(raw.get("params") or {}),
            dependency=raw.get("dependency"),
            timeout=parse_duration(raw.get("timeout")) or Action.timeout,
            retry=_retry(raw.get("retry")),
            compensation=raw.get("compensation"),
            result_to=raw.get("result_to"),
            result_map=dict(raw.get("result_map") or {}),
            idempotent=bool(raw.get("idempotent", True)),
        )
        for name, raw in (document.get("actions") or {}).items()
    }
    dependencies = {}
    for name, raw in (document.get("dependencies") or {}).items():
        limit = raw.get("rate_limit") or {}
        breaker = raw.get("circuit_breaker") or {}
        dependencies[name] = Dependency(
            name=name,
            tps=limit.get("tps"),
            burst=limit.get("burst"),
            failure_threshold=breaker.get("failure_threshold"),
            recovery_time=parse_duration(breaker.get("recovery_time")),
            concurrency=raw.get("concurrency"),
        )
    transitions = tuple(
        Transition(
            index=i,
            source=raw["from"],
            target=raw["to"],
            on=raw.get("on", AUTO),
            when=raw.get("when"),
            action=raw.get("action"),
            order=raw.get("order"),
            after=parse_duration(raw.get("after")),
            at=raw.get("at"),
            label=raw.get("label", ""),
            choice=raw.get("choice"),
            errors=tuple(raw.get("errors") or ()),
            asl=raw.get("asl"),
        )
        for i, raw in enumerate(document.get("transitions") or [])
    )
    return Machine(
        key=document["key"],
        name=document.get("name", document["key"]),
        description=document.get("description", ""),
        initial=document["initial"],
        states={raw["name"]: _state(raw) for raw in document.get("states") or []},
        transitions=transitions,
        actions=actions,
        dependencies=dependencies,
        queries=dict(document.get("queries") or {}),
    )
