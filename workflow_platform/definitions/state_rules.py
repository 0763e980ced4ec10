"""The rules of each state kind: what a human, wait or parallel state needs.

A human state needs a task (a title that parses, a valid form schema describing an
object, an assignment to known groups or users) and at least one decision; a wait state
a way to complete and a transition for its deadline; a parallel state exactly one
source of children, a join that can hold and a transition on ``joined``. Part of the
checks in rules.py, whose ``_Rules`` mixes this class in and provides the document's
states, transitions and actions, the tenant's look-ups and the shared checks
(``_events_of``, ``_interval_order``, ``_workflow``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .conditions import GUARD_ROOTS, ConditionError, parse_template
from .field_rules import Found, expression_problems, is_name, template_problems
from .form_schemas import form_problems

if TYPE_CHECKING:
    from workflow_platform.tenancy.models import Tenant


class StateRules:
    if TYPE_CHECKING:
        # What rules._Rules, which mixes this class in, provides.
        tenant: Tenant | None
        actions: dict[str, Any]

        @property
        def tenant_groups(self) -> set[str]: ...
        @property
        def tenant_users(self) -> set[str]: ...
        def _events_of(self, state: Any) -> set[str]: ...
        def _interval_order(
            self, path: str, raw: dict[str, Any], low: str, high: str
        ) -> Iterator[Found]: ...
        def _workflow(self, path: str, key: Any) -> Iterator[Found]: ...

    def _state(self, index: int, raw: dict[str, Any]) -> Iterator[Found]:
        path = f"states[{index}]"
        kind = raw.get("kind", "normal")
        name = raw.get("name")
        specs = (("task", "human"), ("wait", "wait"), ("parallel", "parallel"), ("error", "failed"))
        for spec, wanted in specs:
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
        for where, code, message in form_problems(form):
            yield path + where.replace("/", "."), code, message

    def _assignee(self, path: str, target: dict[str, Any]) -> Iterator[Found]:
        if path.endswith(".assign") and not any(target.get(k) for k in ("group", "user", "rule")):
            yield path, "bad_assignment", "needs a group, a user or a rule"
        if isinstance(target.get("skill"), str):
            yield from self._title(f"{path}.skill", target["skill"])
        yield from self._known_members(path, target)
        rule = target.get("rule")
        if isinstance(rule, dict):
            listed = rule.get("rules")
            rules = listed if isinstance(listed, list) else []
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
        names: dict[Any, int] = {}  # the first index of each name (a name may be malformed)
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
