"""Smart routing of new human tasks (seed 001): least loaded, by skill, or by a text rule.

The default ``WORKFLOW_TASK_ROUTER``; the worklist calls ``route(task, spec)``
while it opens a task and applies the returned decision (group by name, assignee, the
reason it records). What a state's ``task.assign`` may say (docs/inbox.md):

- ``{"group": "ops"}`` — the group's queue, nobody in particular;
- ``{"user": "otto"}`` — that member (unless away: then the group, if one is named);
- ``{"group": "ops", "strategy": "least_loaded"}`` — the available member of the group
  with the fewest open tasks;
- ``{"group": "ops", "strategy": "skill", "skill": "german"}`` — the least loaded
  available member whose membership lists that skill (``skill`` may be a template such
  as ``"{{ data.language }}"``);
- ``{"rule": {"field": "message", "rules": [{"keywords": [...], "group": ...},
  {"sentiment": "negative", "group": ..., "strategy": ...}], "default": {...}}}`` — a
  text rule over the instance's data: the first matching rule's target is routed as above.

Members who are away (``Membership.away_until`` in the future) are never picked.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils import timezone

from workflow_platform.definitions.conditions import render_template
from workflow_platform.tenancy.capabilities import Capability, roles_with
from workflow_platform.tenancy.models import Membership, OperatorGroup

from .routing import RoutingDecision
from .selectors import open_load

# A small, explainable word list: routing must say why, so no opaque model.
NEGATIVE_WORDS = frozenset(
    [
        "angry",
        "awful",
        "bad",
        "broken",
        "cancel",
        "complaint",
        "disappointed",
        "frustrated",
        "furious",
        "hate",
        "horrible",
        "lawyer",
        "never",
        "refund",
        "ridiculous",
        "scam",
        "terrible",
        "unacceptable",
        "upset",
        "useless",
        "worst",
        "wrong",
    ]
)
POSITIVE_WORDS = frozenset(
    [
        "amazing",
        "appreciate",
        "excellent",
        "fantastic",
        "glad",
        "good",
        "great",
        "happy",
        "love",
        "perfect",
        "pleased",
        "thank",
        "thanks",
        "wonderful",
    ]
)
WORD = re.compile(r"[a-z']+")


def sentiment_of(text: str) -> tuple[str, int]:
    """('negative'|'neutral'|'positive', score) from counted word-list hits."""
    words = WORD.findall(text.lower())
    score = sum(w in POSITIVE_WORDS for w in words) - sum(w in NEGATIVE_WORDS for w in words)
    label = "negative" if score < 0 else "positive" if score > 0 else "neutral"
    return label, score


def _text_of(data: dict[str, Any], field: str | None) -> str:
    value: Any = data
    for part in (field or "").split(".") if field else ():
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _match_text_rule(rule: dict[str, Any], data: dict[str, Any]) -> tuple[dict, str]:
    """The target of the first matching rule (or the default) and why."""
    text = _text_of(data, rule.get("field"))
    lowered = text.lower()
    for candidate in rule.get("rules") or []:
        keywords = [str(k).lower() for k in candidate.get("keywords") or []]
        hit = next((k for k in keywords if k and k in lowered), None)
        if hit:
            return candidate, f"keyword '{hit}' in {rule.get('field') or 'data'}"
        wanted = candidate.get("sentiment")
        if wanted:
            label, score = sentiment_of(text)
            if label == wanted:
                return candidate, f"{label} sentiment ({score:+d}) in {rule.get('field')}"
    return dict(rule.get("default") or {}), "no text rule matched; default"


def _available_members(task, group: OperatorGroup, skill: str | None) -> list[Membership]:
    now = timezone.now()
    members = Membership.objects.for_tenant(task.tenant).filter(
        user__in=group.members.all(),
        role__in=roles_with(Capability.HANDLE_TASKS),
        user__is_active=True,
    )
    chosen = []
    for membership in members.select_related("user"):
        if membership.is_away(now):
            continue
        if skill and skill not in (membership.skills or []):
            continue
        chosen.append(membership)
    return chosen


def _render(value: str, data: dict[str, Any]) -> str:
    if "{{" not in value:
        return value

    return render_template(value, {"data": data}).strip()


def _route_target(task, target: dict[str, Any], why: str) -> RoutingDecision:
    data = task.instance.data or {}
    group_name = target.get("group")
    username = target.get("user")
    strategy = target.get("strategy") or ""
    if username:
        membership = (
            Membership.objects.for_tenant(task.tenant)
            .filter(user__username=username)
            .select_related("user")
            .first()
        )
        if membership and not membership.is_away():
            return RoutingDecision(group_name, membership.user_id, f"{why}user {username}")
        note = f"{username} is away" if membership else f"{username} is not a member"
        if not group_name:
            return RoutingDecision(None, None, f"{why}{note}; unassigned")
        why = f"{why}{note}; "
    if not group_name:
        return RoutingDecision(None, None, f"{why}no group or user; unassigned")
    group = OperatorGroup.objects.for_tenant(task.tenant).filter(name=group_name).first()
    if group is None or strategy not in ("least_loaded", "skill"):
        return RoutingDecision(group_name, None, f"{why}group {group_name}")
    skill = _render(str(target.get("skill") or ""), data) if strategy == "skill" else None
    members = _available_members(task, group, skill)
    if not members:
        lack = f"with skill '{skill}' " if skill else ""
        return RoutingDecision(
            group_name, None, f"{why}no available member {lack}in {group_name}; left to the group"
        )
    load = open_load(task.tenant, [m.user_id for m in members])
    best = min(members, key=lambda m: (load[m.user_id], m.user.username))
    detail = f"skill '{skill}', " if skill else ""
    return RoutingDecision(
        group_name,
        best.user_id,
        f"{why}{detail}least loaded in {group_name}: {best.user.username} "
        f"({load[best.user_id]} open)",
    )


def route(task, spec) -> RoutingDecision:
    """Decide who gets ``task`` from ``spec.assign``; the reason says why."""
    assign = dict(spec.assign or {})
    rule = assign.get("rule")
    if isinstance(rule, dict):
        target, why = _match_text_rule(rule, task.instance.data or {})
        decision = _route_target(task, target, f"{why}: ")
    else:
        if isinstance(rule, str) and not assign.get("strategy"):
            assign["strategy"] = rule  # {"group": "ops", "rule": "least_loaded"}
        decision = _route_target(task, assign, "")
    return RoutingDecision(decision.group_name, decision.assignee_id, decision.reason[:1000])
