"""The rules of a definition that the JSON Schema cannot express (see validation.py).

References (a transition's states and action, an action's dependency and compensation,
a wait's poll action, assignment groups and users, child workflows), expressions and
templates that must parse, what each state kind needs (state_rules.py: a human state a
task and a decision, a wait state a way to complete, a parallel state branches and a
join), timers that say when, and then the graph checks of graph.py. The document may be
malformed (the schema problems are reported separately), so every rule looks before it
trusts a value.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Any

from workflow_platform.tenancy.models import Membership, OperatorGroup, Tenant
from workflow_platform.tenancy.scoping import ScopeError

from . import known_callables
from .asl.choice import rule_problems
from .asl.processing import check_block
from .conditions import GUARD_ROOTS
from .field_rules import (
    PARAM_ROOTS,
    Found,
    expression_problems,
    is_name,
    template_problems,
    too_long_durations,
    url_problems,
)
from .graph import graph_problems
from .machine import AUTO, TERMINAL_KINDS, TIMER, parse_duration
from .models import Definition, Dependency
from .state_rules import StateRules

TIMER_ROOTS = ("data",)
# What a query reads (engine/queries.py builds these names): never an event or a result.
QUERY_ROOTS = ("data", "instance", "history")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# States that wait for something: entering them must not immediately leave again.
WAITING_KINDS = ("human", "wait", "parallel")
# A state's own rule already says which transition out of it is missing: a dead end
# reported with one of these needs no second "no way out".
EXIT_CODES = frozenset(
    {
        "human_without_decision",
        "wait_without_completion",
        "parallel_without_join",
        "deadline_unhandled",
        "timeout_unhandled",
    }
)


def _at_state(path: str, index: int) -> bool:
    return path == f"states[{index}]" or path.startswith(f"states[{index}].")


def _quoted(names: Any) -> str:
    quoted = [f"'{n}'" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def document_problems(document: dict[str, Any], *, tenant: Tenant | None) -> Iterator[Found]:
    yield from _Rules(document, tenant).problems()
    yield from too_long_durations(document)


class _Rules(StateRules):
    def __init__(self, document: dict[str, Any], tenant: Tenant | None) -> None:
        self.document = document
        self.tenant = tenant
        raw_states = document.get("states")
        self.state_list = [
            (i, s) for i, s in enumerate(raw_states if isinstance(raw_states, list) else [])
        ]
        self.states: dict[str, tuple[int, dict[str, Any]]] = {}
        for index, raw in self.state_list:
            if isinstance(raw, dict) and is_name(raw.get("name")):
                self.states.setdefault(raw["name"], (index, raw))
        raw_transitions = document.get("transitions")
        self.transitions = [
            (i, t)
            for i, t in enumerate(raw_transitions if isinstance(raw_transitions, list) else [])
            if isinstance(t, dict)
        ]
        actions = document.get("actions")
        self.actions = actions if isinstance(actions, dict) else {}
        dependencies = document.get("dependencies")
        self.dependencies = dependencies if isinstance(dependencies, dict) else {}

    # Tenant look-ups, each at most one query, made only when there is a tenant.
    def _tenant(self) -> Tenant:
        if self.tenant is None:
            raise ScopeError("A saved tenant is required to query tenant-owned data.")
        return self.tenant

    @cached_property
    def tenant_groups(self) -> set[str]:
        return set(OperatorGroup.objects.for_tenant(self._tenant()).values_list("name", flat=True))

    @cached_property
    def tenant_users(self) -> set[str]:
        members = Membership.objects.for_tenant(self._tenant())
        return set(members.values_list("user__username", flat=True))

    @cached_property
    def tenant_dependencies(self) -> set[str]:
        return set(Dependency.objects.for_tenant(self._tenant()).values_list("name", flat=True))

    @cached_property
    def registered_callables(self) -> set[str]:
        return known_callables.names()

    @cached_property
    def tenant_workflows(self) -> set[str]:
        return set(Definition.objects.for_tenant(self._tenant()).values_list("key", flat=True))

    def problems(self) -> Iterator[Found]:
        yield from self._state_names()
        initial = self.document.get("initial")
        if is_name(initial) and initial not in self.states:
            yield "initial", "unknown_state", f"the initial state '{initial}' is not a state"
        found: list[Found] = []
        for index, raw in self.state_list:
            if isinstance(raw, dict):
                found.extend(self._state(index, raw))
        good = []
        for index, raw in self.transitions:
            found.extend(self._transition(index, raw))
            if raw.get("from") in self.states and raw.get("to") in self.states:
                good.append((index, raw))
        for name, raw in self.actions.items():
            if isinstance(raw, dict):
                found.extend(self._action(name, raw))
        queries = self.document.get("queries")
        for name, text in (queries if isinstance(queries, dict) else {}).items():
            found.extend(expression_problems(text, f"queries.{name}", "invalid_query", QUERY_ROOTS))
        explained = frozenset(
            name
            for name, (index, _) in self.states.items()
            if any(_at_state(path, index) and code in EXIT_CODES for path, code, _ in found)
        )
        found.extend(graph_problems(self.states, good, initial, explained=explained))
        yield from self._missing_link(found, good)

    def _missing_link(self, found: list[Found], good: list[tuple[int, Any]]) -> list[Found]:
        """One state without a way out and states nothing leads to: one missing link.

        Deleting the one transition out of ``review`` leaves ``review`` without a way
        out and ``approved`` unreachable: one cause, so one problem, on ``review``.
        """
        sources = {raw["from"] for _, raw in good}
        targets = {raw["to"] for _, raw in good}
        dead = [
            (name, index)
            for name, (index, raw) in self.states.items()
            if name not in sources and raw.get("kind", "normal") not in TERMINAL_KINDS
        ]
        orphans = {
            path: name
            for name, (index, _) in self.states.items()
            if name not in targets
            for path, code, _ in found
            if code == "unreachable_state" and path == f"states[{index}]"
        }
        if len(dead) != 1 or not orphans:
            return found
        name, index = dead[0]
        exits = EXIT_CODES | {"no_way_out"}
        merged, kept = False, []
        for path, code, message in found:
            if path in orphans:
                continue
            if not merged and code in exits and _at_state(path, index):
                missing = " or ".join(f"{name} -> {orphan}" for orphan in orphans.values())
                lonely = _quoted(orphans.values())
                message += (
                    f"; nothing leads to state {lonely} either: is a transition {missing} missing?"
                )
                merged = True
            kept.append((path, code, message))
        return kept if merged else found

    def _state_names(self) -> Iterator[Found]:
        first: dict[str, int] = {}
        for index, raw in self.state_list:
            name = raw.get("name") if isinstance(raw, dict) else None
            if not is_name(name):
                continue
            if name in first:
                yield (
                    f"states[{index}].name",
                    "duplicate_state",
                    f"'{name}' is already the name of another state (number {first[name] + 1} "
                    "in the list)",
                )
            else:
                first[name] = index

    def _events_of(self, state: Any) -> set[str]:
        return {
            t.get("on", AUTO)
            for _, t in self.transitions
            if t.get("from") == state and t.get("on", AUTO) not in (AUTO, TIMER)
        }

    def _interval_order(
        self, path: str, raw: dict[str, Any], low: str, high: str
    ) -> Iterator[Found]:
        try:
            first, last = parse_duration(raw.get(low)), parse_duration(raw.get(high))
        except (ValueError, OverflowError):
            return  # the schema reports bad durations
        if first is not None and last is not None and first > last:
            yield f"{path}.{low}", "bad_interval", f"'{low}' is longer than '{high}'"

    def _workflow(self, path: str, key: Any) -> Iterator[Found]:
        if self.tenant is None or not is_name(key) or key == self.document.get("key"):
            return
        if key not in self.tenant_workflows:
            yield path, "unknown_workflow", f"the tenant has no workflow definition '{key}'"

    def _transition(self, index: int, raw: dict[str, Any]) -> Iterator[Found]:
        path = f"transitions[{index}]"
        for end in ("from", "to"):
            name = raw.get(end)
            if is_name(name) and name not in self.states:
                yield f"{path}.{end}", "unknown_state", f"there is no state '{name}'"
        source_name = raw.get("from")
        source = self.states.get(source_name) if source_name is not None else None
        source_kind = source[1].get("kind", "normal") if source else None
        if source_kind in TERMINAL_KINDS:
            yield (
                f"{path}.from",
                "transition_from_terminal",
                f"'{raw['from']}' is a {source_kind} state: nothing leaves it",
            )
        on = raw.get("on", AUTO)
        if on == AUTO and source_kind in WAITING_KINDS:
            yield (
                f"{path}.on",
                "auto_from_waiting_state",
                f"a {source_kind} state is left on an event or a timer, not 'auto'",
            )
        yield from self._timer(path, raw, on)
        yield from expression_problems(
            raw.get("when"), f"{path}.when", "invalid_guard", GUARD_ROOTS
        )
        action = raw.get("action")
        if is_name(action) and action not in self.actions:
            yield f"{path}.action", "unknown_action", f"there is no action '{action}'"
        yield from self._asl(path, raw, on)

    def _asl(self, path: str, raw: dict[str, Any], on: Any) -> Iterator[Found]:
        """The ASL parts of a transition: a Choice rule, caught errors, data processing."""
        choice = raw.get("choice")
        if choice is not None:
            if raw.get("when"):
                yield f"{path}.choice", "guard_and_choice", "use either 'when' or 'choice'"
            for place, message in rule_problems(choice, f"{path}.choice"):
                yield place, "invalid_choice_rule", message
        if raw.get("errors") is not None and on != "error":
            yield f"{path}.errors", "errors_without_error_trigger", '\'errors\' needs "on": "error"'
        if on == "error" and not raw.get("errors"):
            yield (
                f"{path}.on",
                "error_without_errors",
                "an 'error' transition lists the 'errors' it catches",
            )
        block = raw.get("asl")
        if isinstance(block, dict):
            for field, message in check_block(block):
                yield f"{path}.asl.{field}", "invalid_asl_processing", message

    def _timer(self, path: str, raw: dict[str, Any], on: Any) -> Iterator[Found]:
        times = [field for field in ("after", "at") if raw.get(field) is not None]
        if on == TIMER and len(times) != 1:
            yield (
                path,
                "timer_without_time" if not times else "timer_with_two_times",
                "a timer transition needs exactly one of 'after' (a duration) or 'at' "
                "(an expression giving a time)",
            )
        if on != TIMER:
            for field in times:
                yield f"{path}.{field}", "time_without_timer", f'\'{field}\' needs "on": "timer"'
        yield from expression_problems(
            raw.get("at"), f"{path}.at", "invalid_expression", TIMER_ROOTS
        )

    def _action(self, name: str, raw: dict[str, Any]) -> Iterator[Found]:
        path = f"actions.{name}"
        dependency = raw.get("dependency")
        if is_name(dependency) and not self._dependency_known(dependency):
            yield (
                f"{path}.dependency",
                "unknown_dependency",
                f"dependency '{dependency}' is declared neither in 'dependencies' "
                "nor for the tenant",
            )
        compensation = raw.get("compensation")
        if compensation == name:
            yield f"{path}.compensation", "self_compensation", "an action cannot compensate itself"
        elif is_name(compensation) and compensation not in self.actions:
            yield (
                f"{path}.compensation",
                "unknown_compensation",
                f"the compensation '{compensation}' is not an action",
            )
        retry = raw.get("retry")
        if isinstance(retry, dict):
            yield from self._interval_order(
                f"{path}.retry", retry, "initial_interval", "max_interval"
            )
        params = raw.get("params", {})
        if isinstance(params, dict):
            yield from self._params(path, raw.get("type"), params)
            yield from template_problems(params, f"{path}.params")

    def _dependency_known(self, name: str) -> bool:
        if name in self.dependencies:
            return True
        return self.tenant is not None and name in self.tenant_dependencies

    def _params(self, path: str, kind: Any, params: dict[str, Any]) -> Iterator[Found]:
        name = path.removeprefix("actions.")
        required = {"http": "url", "python": "callable", "subworkflow": "workflow"}.get(
            kind if is_name(kind) else ""
        )
        if required and not (isinstance(params.get(required), str) and params[required]):
            yield (
                f"{path}.params.{required}",
                "missing_param",
                f"a {kind} action needs params.{required} as text",
            )
        callable_name = params.get("callable") if kind == "python" else None
        # Checked when publishing (with a tenant): drafts may name callables to come.
        checked = self.tenant is not None and is_name(callable_name)
        if checked and callable_name not in self.registered_callables:
            yield (
                f"{path}.params.callable",
                "unknown_callable",
                f"no python callable is registered as '{callable_name}'",
            )
        if kind == "http":
            yield from url_problems(params.get("url"), f"{path}.params.url", name)
            method = params.get("method", "GET")
            if not isinstance(method, str) or method.upper() not in HTTP_METHODS:
                yield (
                    f"{path}.params.method",
                    "invalid_choice",
                    f"must be one of: {', '.join(HTTP_METHODS)}",
                )
        elif kind == "notify":
            channel = params.get("channel", "email")
            if channel not in ("email", "webhook"):
                yield f"{path}.params.channel", "invalid_choice", "must be 'email' or 'webhook'"
            if channel == "webhook":
                yield from url_problems(params.get("url"), f"{path}.params.url", name)
            # params are free-form JSON: the channel may be a list (invalid_choice above).
            needed = {"email": "to", "webhook": "url"}.get(channel) if is_name(channel) else None
            if needed and not params.get(needed):
                yield (
                    f"{path}.params.{needed}",
                    "missing_param",
                    f"a notify action by {channel} needs params.{needed}",
                )
        elif kind == "subworkflow":
            yield from self._workflow(f"{path}.params.workflow", params.get("workflow"))
        elif kind == "set":
            values, expressions = params.get("set"), params.get("expr")
            if not values and not expressions:
                yield (
                    f"{path}.params",
                    "missing_param",
                    "a set action needs params.set or params.expr",
                )
            if isinstance(expressions, dict):
                for key, text in expressions.items():
                    yield from expression_problems(
                        text, f"{path}.params.expr.{key}", "invalid_expression", PARAM_ROOTS
                    )
