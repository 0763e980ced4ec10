"""Every shipped template runs to its end on real workers (wait polls sped up for the test)."""

import time

from django.core.management import call_command

from tests.factories import publish
from workflow_platform.definitions.templates import template_documents
from workflow_platform.engine import services
from workflow_platform.engine.models import Instance
from workflow_platform.tenancy.models import OperatorGroup
from workflow_platform.worklist import services as worklist
from workflow_platform.worklist.models import HumanTask

from ...reliability.workflows import loopback_tenant

DATA = {
    "order-processing": {"order_id": "A-1", "customer": {"email": "ann@example.com"},
                         "items": [{"sku": "tea", "qty": 2, "price": 4.5}], "total": 9.0},
    "trip-booking": {"traveller": {"name": "Ann", "email": "ann@example.com"},
                     "destination": "Lisbon", "dates": {"from": "2026-12-01", "to": "2026-12-05"},
                     "fail_at": None},
    "support-ticket": {"ticket_id": "T-7", "subject": "Charged twice",
                       "message": "I was charged twice, please refund",
                       "customer_email": "bob@example.com"},
    "upload-scan": {"upload_id": "u-1", "filename": "report.pdf", "size": 123456},
    "etl-partitions": {"dataset": "sales", "day": "2026-11-23", "partitions": 8},
    "bank-payment": {"order_id": "A-1", "amount": 120.0, "currency": "EUR", "iban": "DE89..."},
    "app-submission": {"package": "com.example.app", "version_name": "1.0", "version_code": 1,
                       "binary_url": "https://uploads.example/app.aab",
                       "developer_email": "dev@example.com"},
    "app-version-update": {"package": "com.example.app", "version_name": "1.1",
                           "version_code": 2, "current_version_code": 1,
                           "binary_url": "https://uploads.example/app-1.1.aab"},
}  # fmt: skip
DECISIONS = {
    ("app-submission", "in_review"): ("approve", {}),
    ("app-version-update", "in_review"): ("approve", {}),
    ("bank-payment", "finance_review"): ("mark_paid", {}),
    ("order-processing", "needs_attention"): ("mark_shipped", {}),
    ("support-ticket", "open"): ("start", {}),
    ("support-ticket", "in_progress"): ("resolve", {"resolution": "Refunded the second charge."}),
}


def quick(document: dict) -> dict:
    """The template with its wait polls every 200ms (the minutes they use would be slow)."""
    for state in document["states"]:
        if state.get("wait"):
            state["wait"].update(interval="200ms", max_interval="500ms")
    return document


def test_every_template_finishes_on_real_workers(start_worker, start_beat):
    tenant = loopback_tenant()
    for name in ("ops", "finance", "support", "billing", "reviewers", "developers"):
        OperatorGroup.objects.for_tenant(tenant).get_or_create(tenant=tenant, name=name)
    documents = {d["key"]: quick(d) for d in template_documents()}
    for document in documents.values():
        publish(tenant, document)
    started = {
        key: services.start_instance(tenant=tenant, definition_key=key, data=data)
        for key, data in DATA.items()
    }
    withdrawn = services.start_instance(
        tenant=tenant,
        definition_key="app-submission",
        data={**DATA["app-submission"], "package": "com.example.other"},
    )
    start_worker(queues="steps,starts,timers", concurrency=2)
    start_worker(queues="waits", concurrency=1)
    start_beat()
    deadline = time.monotonic() + 90
    cancel = None
    while time.monotonic() < deadline:
        tasks = HumanTask.objects.for_tenant(tenant).filter(status__in=["open", "claimed"])
        for task in tasks.select_related("instance__definition"):
            if task.instance_id == withdrawn.pk:
                if cancel is None:  # in review: the cancel template withdraws it
                    data = {
                        "submission_instance_id": withdrawn.pk,
                        "package": "com.example.other",
                        "developer_email": "dev@example.com",
                    }
                    cancel = services.start_instance(
                        tenant=tenant, definition_key="app-submission-cancel", data=data
                    )
                continue
            decision, data = DECISIONS[(task.instance.definition.key, task.state)]
            worklist.complete_human_task(
                tenant=tenant, task_id=task.pk, user=None, decision=decision, data=data
            )
        ours = [*started.values(), withdrawn, *([cancel] if cancel else [])]
        rows = Instance.objects.for_tenant(tenant).filter(pk__in=[i.pk for i in ours])
        if cancel and all(r.is_ended or r.status == "failed" for r in rows):
            break
        time.sleep(0.3)
    rows = {r.pk: r for r in Instance.objects.for_tenant(tenant)}
    submission = rows[withdrawn.pk]
    assert cancel is not None, ("never reached review", submission.state, submission.last_error)
    ended = {key: (rows[i.pk].status, rows[i.pk].state) for key, i in started.items()}
    unfinished = {k: (*v, rows[started[k].pk].last_error) for k, v in ended.items()
                  if v[0] != "completed"}  # fmt: skip
    assert not unfinished
    assert rows[cancel.pk].status == "completed", (
        rows[cancel.pk].state,
        rows[cancel.pk].last_error,
    )
    assert rows[withdrawn.pk].is_ended, (rows[withdrawn.pk].status, rows[withdrawn.pk].state)
    children = [r for r in rows.values() if r.parent_id == started["etl-partitions"].pk]
    assert len(children) == 8 and all(c.status == "completed" for c in children)
    call_command("replay_history")
