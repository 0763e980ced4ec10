"""Replay derives every projected column from the events and reports any tampering."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from workflow_platform.engine import services
from workflow_platform.engine.models import HistoryEvent, Instance
from workflow_platform.tenancy.scoping import all_tenants

from . import callables  # noqa: F401  (registers the python actions these specs run)
from .conftest import linear

# s0 --(an action failing twice, retried)--> hold --(event "go")--> done
RETRIED_THEN_SIGNALLED = {
    "initial": "s0",
    "states": [{"name": "s0"}, {"name": "hold"}, {"name": "done", "kind": "final"}],
    "transitions": [
        {"from": "s0", "to": "hold", "action": "flaky"},
        {"from": "hold", "to": "done", "on": "go"},
    ],
    "actions": {"flaky": {"type": "python", "params": {"callable": "engine_tests.fail_twice"},
                          "retry": {"max_attempts": 5, "initial_interval": "1s"}}},
}  # fmt: skip
HISTORY = ["started", "action_failed", "timer_fired", "action_failed", "timer_fired",
           "transitioned", "event_accepted", "transitioned"]  # fmt: skip


@pytest.fixture
def finished(tenant_a, publish, work):
    """An instance whose history has retries, an event and an end, and replays clean."""
    version = publish(RETRIED_THEN_SIGNALLED)
    instance = services.start_instance(
        tenant=tenant_a, definition_key=version.definition.key, data={"n": 1}
    )
    work(timers=True, rounds=6)
    services.send_event(tenant=tenant_a, instance_id=instance.pk, event="go", payload={"ok": 1})
    work()
    row = Instance.objects.for_tenant(tenant_a).get(pk=instance.pk)
    assert (row.status, row.state, row.step) == ("completed", "done", 2)
    assert types(row) == HISTORY
    assert replayed() == ""
    return row


def types(instance):
    with all_tenants():
        events = HistoryEvent.objects.filter(instance_id=instance.pk).order_by("seq")
        return list(events.values_list("type", flat=True))


def replayed(*instances) -> str:
    """The command's report: empty when history reproduces every instance."""
    out = io.StringIO()
    try:
        call_command("replay_history", *[f"--instance={i.pk}" for i in instances], stdout=out)
    except CommandError as error:
        return f"{out.getvalue()}{error}"
    assert "no difference" in out.getvalue()
    return ""


def event(instance, seq):
    return HistoryEvent.objects.for_tenant(instance.tenant).filter(instance=instance, seq=seq)


@pytest.mark.parametrize(
    ("field", "value"),
    [("state", "hold"), ("status", "running"), ("step", 5), ("attempt", 3),
     ("has_incident", True), ("ended_at", None), ("data", {"n": 2}), ("seq", 9)],
)  # fmt: skip
def test_a_tampered_column_of_the_instance_row_is_reported(finished, field, value):
    Instance.objects.for_tenant(finished.tenant).filter(pk=finished.pk).update(**{field: value})
    report = replayed(finished)
    assert f"instance {finished.pk}: {field} is {value!r} but history gives" in report


def test_an_instance_moved_to_another_version_without_a_migration_is_reported(finished, publish):
    other = publish({**RETRIED_THEN_SIGNALLED, "key": finished.definition.key})
    Instance.objects.for_tenant(finished.tenant).filter(pk=finished.pk).update(version=other)
    assert f"instance {finished.pk}: version is 2 but history gives 1" in replayed(finished)


@pytest.mark.parametrize(
    ("seq", "change", "reported"),
    [
        (3, {"to_state": "hold"}, "history #3 (timer_fired): to_state is 'hold' but history "
                                  "gives 's0'"),
        (2, {"status": "running"}, "history #2 (action_failed): status is 'running' but "
                                   "history gives 'waiting'"),
        (7, {"step": 5}, "history #7 (event_accepted): step is 5 but history gives 1"),
        (7, {"type": "waiting"}, "history #7 (waiting): status is 'running' but history "
                                 "gives 'waiting'"),
        (8, {"from_state": "s0"}, "history #8 (transitioned): leaves from 's0', but the "
                                  "instance was in 'hold'"),
        (6, {"to_state": "done"}, "history #6 (transitioned): version 1 has no transition "
                                  "s0 → done"),
        (6, {"delta": {"set": {"n": 7}}}, "data is {'n': 1, 'ok': 1} but history gives "
                                          "{'n': 7, 'ok': 1}"),
    ],
)  # fmt: skip
def test_a_tampered_event_in_the_middle_of_a_history_is_reported(finished, seq, change, reported):
    event(finished, seq).update(**change)
    assert reported in replayed(finished)


def test_a_missing_event_is_reported_as_a_gap(finished):
    event(finished, 4).delete()
    assert f"instance {finished.pk}, history #4 (missing): no such event" in replayed(finished)


def test_every_field_history_derives_is_checked_on_a_parked_instance(tenant_a, publish, work):
    always = {"type": "python", "params": {"callable": "engine_tests.always_retryable"},
              "retry": {"max_attempts": 9, "initial_interval": "1h"}}  # fmt: skip
    version = publish(linear(1, action=always))
    instance = services.start_instance(
        tenant=tenant_a, definition_key=version.definition.key, data={}
    )
    work(timers=True, rounds=3)
    parked = Instance.objects.for_tenant(tenant_a).get(pk=instance.pk)
    assert (parked.status, parked.attempt) == ("waiting", 4)
    assert replayed(parked) == ""
    Instance.objects.for_tenant(tenant_a).filter(pk=parked.pk).update(attempt=2)
    assert f"instance {parked.pk}: attempt is 2 but history gives 4" in replayed(parked)
