"""The State, Transition, Action and HumanTaskSpec rows of a draft, rebuilt from its document.

The document is the truth; these rows are a projection for the admin and for queries
("which versions use action type http?"). A draft may be invalid, so the projection takes
what it can read and skips the rest; publishing validates first, so a published version's
rows are complete. Rows are replaced wholesale in the caller's transaction.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps

from .machine import parse_duration

# ``Version.save`` calls this module, so it finds the row models through the app
# registry instead of importing ``models`` (which would be an import cycle); ``version``
# is a ``models.Version``.


def _model(name: str) -> Any:
    return apps.get_model("definitions", name)


def _seconds(value: Any) -> float | None:
    try:
        duration = parse_duration(value)
    except (ValueError, TypeError):
        return None
    return duration.total_seconds() if duration is not None else None


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _task_spec(version: Any, state: Any, task: dict[str, Any]) -> Any:
    HumanTaskSpec = _model("HumanTaskSpec")
    assign = _dict(task.get("assign"))
    priority = task.get("priority")
    escalate_to = task.get("escalate_to")
    return HumanTaskSpec(
        tenant_id=version.tenant_id,
        state=state,
        title=_text(task.get("title"), 500) or state.name,
        assign_group=_text(assign.get("group"), 100),
        assign_user=_text(assign.get("user"), 150),
        assign_rule=_text(assign.get("rule"), 100)
        if isinstance(assign.get("rule"), str)
        else ("text rule" if assign.get("rule") else ""),
        form=_dict(task.get("form")),
        due_seconds=_seconds(task.get("due")),
        escalate_to=escalate_to if isinstance(escalate_to, dict) else None,
        priority=priority if isinstance(priority, int) and not isinstance(priority, bool) else 0,
    )


def materialize_rows(version: Any) -> None:
    State, Transition, Action, HumanTaskSpec = (
        _model(name) for name in ("State", "Transition", "Action", "HumanTaskSpec")
    )

    document = _dict(version.document)
    common = {"tenant_id": version.tenant_id, "version": version}
    State.objects.for_tenant(version.tenant).filter(version=version).delete()
    Transition.objects.for_tenant(version.tenant).filter(version=version).delete()
    Action.objects.for_tenant(version.tenant).filter(version=version).delete()
    states = document.get("states")
    states = states if isinstance(states, list) else []
    rows, tasks = [], []
    for index, raw in enumerate(states):
        if not isinstance(raw, dict):
            continue
        spec = {k: raw[k] for k in ("wait", "parallel") if isinstance(raw.get(k), dict)}
        rows.append(
            State(
                **common,
                position=index,
                name=_text(raw.get("name"), 64),
                kind=_text(raw.get("kind"), 16) or "normal",
                label=_text(raw.get("label"), 200),
                timeout_seconds=_seconds(raw.get("timeout")),
                spec=spec,
            )
        )
        tasks.append(raw.get("task"))
    # Bulk inserts (one statement each) skip the rows' own save(), and the projection's
    # insert skips bulk_create's refusal of non-draft versions: a version stored as
    # published directly still gets its rows, once, when it is created.
    State._base_manager.insert_projection(rows)
    HumanTaskSpec._base_manager.insert_projection(
        _task_spec(version, state, task)
        for state, task in zip(rows, tasks, strict=True)
        if isinstance(task, dict)
    )
    transitions = document.get("transitions")
    rows = []
    for index, raw in enumerate(transitions if isinstance(transitions, list) else []):
        if not isinstance(raw, dict):
            continue
        order = raw.get("order")
        rows.append(
            Transition(
                **common,
                position=index,
                source=_text(raw.get("from"), 64),
                target=_text(raw.get("to"), 64),
                on=_text(raw.get("on"), 64) or "auto",
                guard=_text(raw.get("when"), 10_000),
                action=_text(raw.get("action"), 64),
                order=order if isinstance(order, int) and not isinstance(order, bool) else None,
                after_seconds=_seconds(raw.get("after")),
                at=_text(raw.get("at"), 10_000),
                label=_text(raw.get("label"), 200),
            )
        )
    Transition._base_manager.insert_projection(rows)
    actions = []
    for index, (name, raw) in enumerate(_dict(document.get("actions")).items()):
        raw = _dict(raw)
        actions.append(
            Action(
                **common,
                position=index,
                name=_text(name, 64),
                type=_text(raw.get("type"), 16),
                params=_dict(raw.get("params")),
                dependency=_text(raw.get("dependency"), 100),
                timeout_seconds=_seconds(raw.get("timeout")),
                retry=_dict(raw.get("retry")),
                compensation=_text(raw.get("compensation"), 64),
                result_to=_text(raw.get("result_to"), 200),
                result_map=_dict(raw.get("result_map")),
                idempotent=raw.get("idempotent", True) is not False,
            )
        )
    Action._base_manager.insert_projection(actions)
