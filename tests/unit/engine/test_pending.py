"""The typed ``Instance.pending``: what is stored is exactly the parts that are set."""

import pytest

from tests.factories import publish, reload, start
from workflow_platform.engine.models import Instance
from workflow_platform.engine.pending import Pending, resumed_status, stored
from workflow_platform.tenancy.scoping import tenant_scope

ONE_STEP = {
    "key": "one",
    "initial": "a",
    "states": [{"name": "a"}, {"name": "b", "final": True}],
    "transitions": [{"from": "a", "to": "b", "on": "go"}],
}


def test_only_set_parts_are_stored_and_index_zero_is_set():
    assert Pending(transition=0, event="go", payload={}).dump() == {
        "transition": 0,
        "event": "go",
        "payload": {},
    }
    # An empty plan is a compensation that ran to its end, not "no plan".
    assert Pending(compensations=[]).dump() == {"compensations": []}
    assert Pending(cancelled=True).dump() == {"cancelled": True}
    assert Pending().dump() == {} and stored(Pending()) is None and stored(None) is None


def test_load_is_the_inverse_of_dump_and_refuses_unknown_parts():
    value = Pending(child=7, child_result={"x": 1}, suspended={"status": "waiting"})
    assert Pending.load(value.dump()) == value
    assert Pending.load(None) is None and Pending.load({}) is None
    with pytest.raises(ValueError, match=r"unknown parts \['surprise'\]"):
        Pending.load({"transition": 1, "surprise": True})


def test_replace_copies_and_or_none_drops_the_empty_value():
    first = Pending(suspended={"status": "running", "ready": True})
    assert first.replace(suspended=None).or_none() is None
    assert first.suspended == {"status": "running", "ready": True}  # unchanged
    assert resumed_status(first) == "running"
    assert resumed_status(None) == "waiting" and resumed_status(Pending()) == "waiting"


@pytest.mark.django_db
def test_the_column_holds_the_dump_and_reads_back_a_pending(tenant_a):
    instance = start(tenant_a, publish(tenant_a, ONE_STEP))
    with tenant_scope(tenant_a):
        Instance.objects.filter(pk=instance.pk).update(pending=Pending(transition=0, event="go"))
        raw = Instance.objects.filter(pk=instance.pk).values_list("pending__event", flat=True)
        assert list(raw) == ["go"]
    assert reload(tenant_a, instance).pending == Pending(transition=0, event="go")
