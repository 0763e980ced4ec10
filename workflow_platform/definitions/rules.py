"""The rules of a definition that the JSON Schema cannot express (see validation.py).

References (a transition's states and action, an action's dependency and compensation,
a wait's poll action, assignment groups and users, child workflows), expressions and
templates that must parse, what each state kind needs (a human state a task and a
decision, a wait state a way to complete, a parallel state branches and a join), timers
that say when, and then the graph checks of graph.py. The document may be malformed (the
schema problems are reported separately), so every rule looks before it trusts a value.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .conditions import GUARD_ROOTS, ConditionError, parse_template
from .field_rules import (
    PARAM_ROOTS,
    expression_problems,
    is_name,
    template_problems,
    too_long_durations,
)
from .graph import graph_problems
from .machine import AUTO, TERMINAL_KINDS, TIMER, parse_duration

if TYPE_CHECKING:
    from workflow_platform.tenancy.models import Tenant

Found = tuple[str, str, str]

TIMER_ROOTS = ("data",)
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# States that wait for something: entering them must not immediately leave again.
WAITING_KINDS = ("human", "wait", "parallel")


def document_problems(document: dict[str, Any], *, tenant: Tenant | None) -> Iterator[Found]:
    yield from _Rules(document, tenant).problems()
    yield from too_long_durations(document)


class _Rules:
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

    # Tenant look-ups, each at most one query.
    @cached_property
    def tenant_groups(self) -> set[str]:
        from workflow_platform.tenancy.models import OperatorGroup

        return set(OperatorGroup.objects.for_tenant(self.tenant).values_list("name", flat=True))

    @cached_property
    def tenant_users(self) -> set[str]:
        from workflow_platform.tenancy.models import Membership

        members = Membership.objects.for_tenant(self.tenant)
        return set(members.values_list("user__username", flat=True))

    @cached_property
    def tenant_dependencies(self) -> set[str]:
        from .models import Dependency

        return set(Dependency.objects.for_tenant(self.tenant).values_list("name", flat=True))

    @cached_property
    def registered_callables(self) -> set[str]:
        from workflow_platform.actions.registry import callable_names

        return set(callable_names())

    @cached_property
    def tenant_workflows(self) -> set[str]:
        from .models import Definition

        return set(Definition.objects.for_tenant(self.tenant).values_list("key", flat=True))

    def problems(self) -> Iterator[Found]:
        yield from self._state_names()
        initial = self.document.get("initial")
        if is_name(initial) and initial not in self.states:
            yield "initial", "unknown_state", f"the initial state '{initial}' is not a state"
        for index, raw in self.state_list:
            if isinstance(raw, dict):
                yield from self._state(index, raw)
        good = []
        for index, raw in self.transitions:
            found = list(self._transition(index, raw))
            yield from found
            if raw.get("from") in self.states and raw.get("to") in self.states:
                good.append((index, raw))
        for name, raw in self.actions.items():
            if isinstance(raw, dict):
                yield from self._action(name, raw)
        yield from graph_problems(self.states, good, initial)

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
                    f"'{name}' is already the name of states[{first[name]}]",
                )
            else:
                first[name] = index

    def _events_of(self, state: str) -> set[str]:
        return {
            t.get("on", AUTO)
            for _, t in self.transitions
            if t.get("from") == state and t.get("on", AUTO) not in (AUTO, TIMER)
        }

    def _state(self, index: int, raw: dict[str, Any]) -> Iterator[Found]:
        path = f"states[{index}]"
        kind = raw.get("kind", "normal")
        name = raw.get("name")
        for spec, wanted in (("task", "human"), ("wait", "wait"), ("parallel", "parallel")):
            if spec in raw and kind != wanted:
                yield (
                    f"{path}.{spec}",
                    f"{spec}_on_{kind}_state" if isinstance(kind, str) else "misplaced_spec",
                    f"only a '{wanted}' state has '{spec}'; this state is '{kind}'",
                )
        if raw.get("timeout") is not None and "timeout" not in self._events_of(name):
            yield (
                f"{path}.timeout",
                "timeout_unhandled",
                f"state '{name}' has a timeout, so it needs a transition on 'timeout'",
            )
        if kind == "human":
            yield from self._human(path, name, raw)
        elif kind == "wait":
            yield from self._wait(path, name, raw)
        elif kind == "parallel":
            yield from self._parallel(path, name, raw)

    def _human(self, path: str, name: Any, raw: dict[str, Any]) -> Iterator[Found]:
        task = raw.get("task")
        if task is None:
            yield f"{path}.task", "missing_task", "a human state needs a task for its operators"
        if not self._events_of(name):
            yield (
                path,
                "human_without_decision",
                f"human state '{name}' needs at least one outgoing transition on a named "
                "event: the decisions an operator can make",
            )
        if not isinstance(task, dict):
            return
        if isinstance(task.get("title"), str):
            yield from self._title(f"{path}.task.title", task["title"])
        form = task.get("form")
        if isinstance(form, dict):
            yield from self._form(f"{path}.task.form", form)
        for field in ("assign", "escalate_to"):
            target = task.get(field)
            if isinstance(target, dict):
                yield from self._assignee(f"{path}.task.{field}", target)

    def _title(self, path: str, title: str) -> Iterator[Found]:
        try:
            parse_template(title, roots=GUARD_ROOTS)
        except ConditionError as error:
            yield path, "invalid_template", error.message

    def _form(self, path: str, form: dict[str, Any]) -> Iterator[Found]:
        try:
            Draft202012Validator.check_schema(form)
        except SchemaError as error:
            where = "/".join(str(p) for p in error.absolute_path)
            yield (
                path,
                "invalid_form",
                f"not a valid JSON Schema{f' at {where}' if where else ''}: {error.message}",
            )
            return
        if form.get("type", "object") != "object":
            yield path, "invalid_form", 'a task form describes an object ("type": "object")'

    def _assignee(self, path: str, target: dict[str, Any]) -> Iterator[Found]:
        if path.endswith(".assign") and not any(target.get(k) for k in ("group", "user", "rule")):
            yield path, "bad_assignment", "needs a group, a user or a rule"
        if isinstance(target.get("skill"), str):
            yield from self._title(f"{path}.skill", target["skill"])
        yield from self._known_members(path, target)
        rule = target.get("rule")
        if isinstance(rule, dict):
            rules = rule.get("rules") if isinstance(rule.get("rules"), list) else []
            for index, candidate in enumerate(rules):
                if isinstance(candidate, dict):
                    yield from self._known_members(f"{path}.rule.rules[{index}]", candidate)
            if isinstance(rule.get("default"), dict):
                yield from self._known_members(f"{path}.rule.default", rule["default"])

    def _known_members(self, path: str, target: dict[str, Any]) -> Iterator[Found]:
        if self.tenant is None:
            return
        group, user = target.get("group"), target.get("user")
        if is_name(group) and group not in self.tenant_groups:
            yield f"{path}.group", "unknown_group", f"the tenant has no operator group '{group}'"
        if is_name(user) and user not in self.tenant_users:
            yield f"{path}.user", "unknown_user", f"'{user}' is not a member of the tenant"

    def _wait(self, path: str, name: Any, raw: dict[str, Any]) -> Iterator[Found]:
        wait = raw.get("wait")
        if not isinstance(wait, dict):
            return
        events = self._events_of(name)
        poll = wait.get("poll")
        if is_name(poll) and poll not in self.actions:
            yield f"{path}.wait.poll", "unknown_action", f"there is no action '{poll}' to poll with"
        if poll is not None and "completed" not in events:
            yield (
                path,
                "wait_without_completion",
                f"wait state '{name}' polls, so it needs a transition on 'completed'",
            )
        if wait.get("deadline") is not None and "deadline" not in events:
            yield (
                f"{path}.wait.deadline",
                "deadline_unhandled",
                f"wait state '{name}' has a deadline, so it needs a transition on 'deadline'",
            )
        yield from self._interval_order(f"{path}.wait", wait, "interval", "max_interval")

    def _interval_order(
        self, path: str, raw: dict[str, Any], low: str, high: str
    ) -> Iterator[Found]:
        try:
            first, last = parse_duration(raw.get(low)), parse_duration(raw.get(high))
        except (ValueError, OverflowError):
            return  # the schema reports bad durations
        if first is not None and last is not None and first > last:
            yield f"{path}.{low}", "bad_interval", f"'{low}' is longer than '{high}'"

    def _parallel(self, path: str, name: Any, raw: dict[str, Any]) -> Iterator[Found]:
        spec = raw.get("parallel")
        if "joined" not in self._events_of(name):
            yield (
                path,
                "parallel_without_join",
                f"parallel state '{name}' needs a transition on 'joined' (the fan-in)",
            )
        if spec is None:
            yield f"{path}.parallel", "missing_parallel", "a parallel state needs 'parallel'"
        if not isinstance(spec, dict):
            return
        branches, map_over = spec.get("branches"), spec.get("map_over")
        if (branches is None) == (map_over is None):
            yield (
                f"{path}.parallel",
                "parallel_needs_one_source",
                "give either 'branches' (fixed children) or 'map_over' (one child per item)",
            )
        if map_over is not None:
            yield from expression_problems(
                map_over, f"{path}.parallel.map_over", "invalid_expression", GUARD_ROOTS
            )
            if spec.get("workflow") is None:
                yield (
                    f"{path}.parallel.workflow",
                    "missing_field",
                    "'map_over' needs the child 'workflow'",
                )
        yield from self._workflow(f"{path}.parallel.workflow", spec.get("workflow"))
        if isinstance(branches, list):
            yield from self._branches(f"{path}.parallel.branches", branches)
        yield from self._join(f"{path}.parallel", spec, branches)

    def _branches(self, path: str, branches: list[Any]) -> Iterator[Found]:
        names: dict[str, int] = {}
        for index, branch in enumerate(branches):
            if not isinstance(branch, dict):
                continue
            name = branch.get("name")
            if is_name(name) and name in names:
                yield f"{path}[{index}].name", "duplicate_branch", f"branch '{name}' is named twice"
            names.setdefault(name, index)
            yield from self._workflow(f"{path}[{index}].workflow", branch.get("workflow"))
            yield from template_problems(branch.get("data"), f"{path}[{index}].data")

    def _join(self, path: str, spec: dict[str, Any], branches: Any) -> Iterator[Found]:
        join, n = spec.get("join", "all"), spec.get("n")
        if join == "n" and n is None:
            yield f"{path}.n", "missing_field", "join 'n' needs 'n', how many children must finish"
        if n is not None and join != "n":
            yield f"{path}.n", "n_without_join_n", '\'n\' only counts with "join": "n"'
        if isinstance(n, int) and isinstance(branches, list) and n > len(branches):
            yield f"{path}.n", "out_of_range", f"n is {n} but there are {len(branches)} branches"

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
        source = self.states.get(raw.get("from"))
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
        required = {"http": "url", "python": "callable", "subworkflow": "workflow"}.get(kind)
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
            needed = {"email": "to", "webhook": "url"}.get(channel)
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
