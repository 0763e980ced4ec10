"""Smart routing: least loaded, by skill, by a text rule; never to someone away."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from workflow_platform.definitions.machine import TaskSpec
from workflow_platform.tenancy.models import Membership
from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.tenancy.services import add_to_group
from workflow_platform.worklist.rules import route, sentiment_of


def _spec(**assign):
    return TaskSpec(title="Ticket", assign=assign)


def test_least_loaded_picks_the_member_with_fewest_open_tasks(tenant_a, ops, make_task):
    group, otto, olga = ops
    make_task(tenant_a, group=group, assignee=otto)
    task = make_task(tenant_a, group=group)
    decision = route(task, _spec(group="ops", strategy="least_loaded"))
    assert decision.assignee_id == olga.pk and decision.group_name == "ops"
    assert "least loaded in ops: olga (0 open)" in decision.reason


def test_least_loaded_skips_members_who_are_away(tenant_a, ops, make_task):
    group, otto, olga = ops
    make_task(tenant_a, group=group, assignee=otto)
    with tenant_scope(tenant_a):
        Membership.objects.filter(user=olga).update(away_until=timezone.now() + timedelta(1))
    decision = route(make_task(tenant_a, group=group), _spec(group="ops", rule="least_loaded"))
    assert decision.assignee_id == otto.pk


def test_skill_routing_matches_membership_skills_from_the_data(tenant_a, ops, make_task):
    group, otto, _olga = ops
    with tenant_scope(tenant_a):
        Membership.objects.filter(user=otto).update(skills=["german"])
    task = make_task(tenant_a, group=group, data={"language": "german"})
    decision = route(task, _spec(group="ops", strategy="skill", skill="{{ data.language }}"))
    assert decision.assignee_id == otto.pk and "skill 'german'" in decision.reason
    nobody = route(task, _spec(group="ops", strategy="skill", skill="klingon"))
    assert nobody.assignee_id is None and "no available member with skill" in nobody.reason


def test_text_rule_routes_by_keyword_then_sentiment(tenant_a, ops, make_task, make_member):
    vip = make_member(tenant_a, username="vic")
    add_to_group(tenant=tenant_a, group_name="billing", user=vip)
    rule = {
        "field": "ticket.body",
        "rules": [
            {"keywords": ["invoice", "refund"], "group": "billing"},
            {"sentiment": "negative", "group": "ops", "strategy": "least_loaded"},
        ],
        "default": {"group": "ops"},
    }
    refund = make_task(tenant_a, data={"ticket": {"body": "Please REFUND my order"}})
    decision = route(refund, _spec(rule=rule))
    assert decision.group_name == "billing" and "keyword 'refund'" in decision.reason
    angry = make_task(tenant_a, data={"ticket": {"body": "Terrible, awful service"}})
    decision = route(angry, _spec(rule=rule))
    assert decision.group_name == "ops" and decision.assignee_id is not None
    assert "negative sentiment" in decision.reason
    calm = make_task(tenant_a, data={"ticket": {"body": "When does it ship?"}})
    assert route(calm, _spec(rule=rule)).reason.startswith("no text rule matched")


def test_a_named_user_who_is_away_falls_back_to_the_group(tenant_a, ops, make_task):
    _, otto, _ = ops
    with tenant_scope(tenant_a):
        Membership.objects.filter(user=otto).update(away_until=timezone.now() + timedelta(1))
    decision = route(make_task(tenant_a), _spec(user="otto", group="ops"))
    assert decision.assignee_id is None and decision.group_name == "ops"
    assert "otto is away" in decision.reason


def test_sentiment_is_counted_from_word_lists():
    assert sentiment_of("thanks, great work")[0] == "positive"
    assert sentiment_of("this is the worst, I hate it")[0] == "negative"
    assert sentiment_of("where is my parcel")[0] == "neutral"
