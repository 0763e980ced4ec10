"""Who may claim and decide a task, said once by the worklist and shown alike by the list,
the task page and the refusals (#19)."""

from __future__ import annotations

from django.urls import reverse

from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.worklist import selectors
from workflow_platform.worklist.models import HumanTask


def _membership(tenant, user):
    from workflow_platform.tenancy.models import Membership

    return Membership.objects.for_tenant(tenant).get(user=user)


def test_a_task_offered_to_someone_else_offers_no_claim_and_no_decision(
    client, tenant_a, ops, make_task
):
    group, otto, olga = ops
    task = make_task(tenant_a, group=group, assignee=olga, title="Refund Müller")
    client.force_login(otto)
    page = client.get(reverse("inbox:task", args=[task.pk])).content.decode()
    assert ">Claim</button>" not in page
    assert 'name="decision"' not in page
    assert "This task is offered to olga" in page
    rows = client.get(reverse("inbox:rows"), {"view": "groups"}).content.decode()
    assert f'value="{task.pk}"' not in rows  # no tick box
    assert ">Claim</button>" not in rows


def test_claiming_or_deciding_a_task_offered_to_someone_else_says_so(
    client, tenant_a, ops, make_task
):
    group, otto, olga = ops
    task = make_task(tenant_a, group=group, assignee=olga)
    client.force_login(otto)
    claimed = client.post(
        reverse("inbox:act", args=[task.pk, "claim"]), {"revision": task.revision}, follow=True
    ).content.decode()
    assert "This task is offered to olga" in claimed
    assert "changed while you looked" not in claimed
    decided = client.post(
        reverse("inbox:complete", args=[task.pk]), {"decision": "approve", "amount": "5"},
        follow=True,
    ).content.decode()  # fmt: skip
    assert "This task is offered to olga" in decided
    with tenant_scope(tenant_a):
        assert HumanTask.objects.get(pk=task.pk).status == "open"


def test_bulk_claim_names_the_task_by_title_and_the_true_reason(client, tenant_a, ops, make_task):
    group, otto, olga = ops
    free = make_task(tenant_a, group=group, title="Review free")
    offered = make_task(tenant_a, group=group, assignee=olga, title="Review offered")
    client.force_login(otto)
    page = client.post(
        reverse("inbox:bulk-claim"), {"task": [free.pk, offered.pk]}, follow=True
    ).content.decode()
    assert "Claimed 1 task(s)." in page
    assert "“Review offered”: This task is offered to olga" in page
    assert f"Task {offered.pk}:" not in page


def test_your_own_offered_task_shows_claim_in_the_list_and_on_its_page(
    client, tenant_a, ops, make_task
):
    group, otto, _ = ops
    task = make_task(tenant_a, group=group, assignee=otto)
    client.force_login(otto)
    rows = client.get(reverse("inbox:rows"), {"view": "mine"}).content.decode()
    page = client.get(reverse("inbox:task", args=[task.pk])).content.decode()
    assert ">Claim</button>" in rows and ">Claim</button>" in page
    assert 'name="decision"' in page
    assert ">Release</button>" in page  # an offer can be given back, too


def test_choices_follow_the_claim_and_completion_rules(tenant_a, ops, make_task, make_member):
    group, otto, olga = ops
    viewer = make_member(tenant_a, username="vera", role="viewer")
    free = make_task(tenant_a, group=group)
    claimed = make_task(tenant_a, group=group, assignee=olga, status="claimed")
    with tenant_scope(tenant_a):
        otto_m, viewer_m = _membership(tenant_a, otto), _membership(tenant_a, viewer)
        on_free = selectors.choices_for(free, otto, otto_m)
        on_claimed = selectors.choices_for(claimed, otto, otto_m)
        as_viewer = selectors.choices_for(free, viewer, viewer_m)
    assert on_free.claim and on_free.decide and not on_free.release and not on_free.why_not
    assert not on_claimed.claim and not on_claimed.decide
    assert on_claimed.why_not == "This task is claimed by olga; only they can decide it."
    assert not (as_viewer.claim or as_viewer.decide or as_viewer.release or as_viewer.hand_on)


LABELLED = {
    "format": "workflow-island/v1",
    "key": "shipping",
    "name": "Shipping",
    "initial": "pack",
    "states": [
        {"name": "pack", "kind": "human", "task": {"title": "Pack it"}},
        {"name": "done", "kind": "final"},
    ],
    "transitions": [
        {"from": "pack", "to": "done", "on": "start_work", "label": "Start work"},
        {"from": "pack", "to": "done", "on": "Mark_shipped"},
    ],
}


def _labelled_task(tenant, group, **fields):
    from workflow_platform.definitions.models import Definition, Version
    from workflow_platform.engine.models import Instance

    with tenant_scope(tenant):
        definition = Definition.objects.create(tenant=tenant, key="shipping", name="Shipping")
        version = Version(tenant=tenant, definition=definition, number=1, document=LABELLED)
        version.save()
        instance = Instance(
            tenant=tenant, version=version, definition=definition, state="pack", data={},
            status="waiting",
        )  # fmt: skip
        instance.save()
        task = HumanTask(
            tenant=tenant, instance=instance, state="pack", title="Pack it", form={},
            decisions=["start_work", "Mark_shipped"], group=group, **fields,
        )  # fmt: skip
        task.save()
    return task


def test_decision_buttons_show_the_transition_labels_or_humanised_events(client, tenant_a, ops):
    group, otto, _ = ops
    task = _labelled_task(tenant_a, group)
    client.force_login(otto)
    page = client.get(reverse("inbox:task", args=[task.pk])).content.decode()
    assert 'value="start_work" class="decision">Start work</button>' in page
    assert 'value="Mark_shipped" class="decision">Mark shipped</button>' in page
    assert "Mark_shipped</button>" not in page


def test_a_decided_task_says_its_decision_in_the_definitions_words(client, tenant_a, ops):
    group, otto, _ = ops
    task = _labelled_task(
        tenant_a, group, status="completed", decision="start_work", completed_by=otto
    )
    client.force_login(otto)
    page = client.get(reverse("inbox:task", args=[task.pk])).content.decode()
    assert 'Decided <strong data-testid="decided">Start work</strong> by otto.' in page


def test_task_history_speaks_as_the_operations_page_without_engine_words(
    client, tenant_a, ops, make_task
):
    from datetime import timedelta

    from django.utils import timezone

    from workflow_platform.engine.models import HistoryEvent

    group, otto, _ = ops
    task = make_task(tenant_a, group=group)
    now = timezone.now()
    with tenant_scope(tenant_a):
        common = {"tenant": tenant_a, "instance": task.instance, "status": "waiting"}
        HistoryEvent.objects.create(
            **common, seq=1, type="transitioned", from_state="calc", to_state="review",
            event="auto", created_at=now - timedelta(days=2),
        )  # fmt: skip
        HistoryEvent.objects.create(
            **common, seq=2, type="task_completed", from_state="review", to_state="review",
            event="accept_all", user=otto, created_at=now,
        )  # fmt: skip
    client.force_login(otto)
    page = client.get(reverse("inbox:task", args=[task.pk])).content.decode()
    assert "task_completed" not in page and "on auto" not in page
    earlier = timezone.localtime(now - timedelta(days=2))
    assert f"{earlier:%Y-%m-%d %H:%M:%S}</time> Transitioned calc → review</li>" in page
    at = timezone.localtime(now)
    assert (
        f"{at:%H:%M:%S}</time> Task Completed review → review: decided "
        "<strong>Accept all</strong> by otto</li>"
    ) in page
