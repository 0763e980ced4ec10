"""Property-based: generated valid definitions validate, round-trip exactly, checksum stably.

Round trips go through text (export and import) and through the database (import as a
draft, then export the stored version).
"""

from __future__ import annotations

import random

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflow_platform.definitions import services
from workflow_platform.definitions.bounds import MAX_INTEGER
from workflow_platform.definitions.checksum import document_checksum
from workflow_platform.definitions.diff import diff_documents
from workflow_platform.definitions.interchange import (
    canonical_document,
    export_text,
    import_text,
)
from workflow_platform.definitions.machine import compile_machine
from workflow_platform.definitions.validation import validate_document
from workflow_platform.tenancy.services import create_tenant

# Enough examples to meet each state kind, trigger and action type many times over,
# while the whole file stays within a few seconds.
PROPERTY_SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# Each database example is a tenant, a definition and its rows: fewer, but the same kinds.
DATABASE_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

names = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
# Any printable text, including quotes, colons, YAML keywords and non-ASCII letters; no
# placeholders (those must parse), no lone surrogates (not encodable as UTF-8) and no NUL
# (refused on save: PostgreSQL's JSON cannot hold it, see definitions/bounds.py).
free_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="{}\x00"), max_size=30
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-MAX_INTEGER, MAX_INTEGER),
    st.floats(allow_nan=False, allow_infinity=False),
    free_text,
    st.sampled_from(["yes", "no", "on", "off", "null", "~", "1e3", "0x10", "2026-01-01", ""]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(free_text, inner, max_size=3)
    ),
    max_leaves=8,
)
durations = st.one_of(
    st.builds(
        lambda n, unit: f"{n}{unit}",
        st.integers(0, 366),
        st.sampled_from(["ms", "s", "m", "h", "d"]),
    ),
    st.integers(0, 86400),
)
guards = st.sampled_from(
    [
        "data.total > 100",
        "lower(data.country) in ['de', 'at']",
        "not event.approved",
        "len(data.items) >= 2 and data.vip",
        "result.status == 200 or data.retry is None",
    ]
)


@st.composite
def actions(draw):
    kind = draw(st.sampled_from(["http", "python", "set", "notify"]))
    params = {
        "http": lambda: {"url": "https://example.com/" + draw(names), "method": "POST"},
        "python": lambda: {"callable": "demo." + draw(names)},
        "set": lambda: {"set": {draw(names): draw(json_values)}},
        "notify": lambda: {"to": "ops@example.com", "subject": draw(free_text)},
    }[kind]()
    params["extra"] = draw(json_values)
    action = {"type": kind, "params": params}
    if draw(st.booleans()):
        action["timeout"] = draw(durations)
    if draw(st.booleans()):
        action["retry"] = {
            "max_attempts": draw(st.integers(1, 10)),
            "backoff": draw(st.floats(1, 10)),
            "jitter": draw(st.floats(0, 1)),
            "non_retryable": draw(st.lists(names, max_size=2)),
        }
    if draw(st.booleans()):
        action["result_to"] = draw(names)
    if draw(st.booleans()):
        action["idempotent"] = draw(st.booleans())
    return action


@st.composite
def parallel_spec(draw):
    """A fan-out: fixed branches or one child per item of a list, and how to join them."""
    if draw(st.booleans()):
        branch_names = draw(st.lists(names, min_size=1, max_size=3, unique=True))
        spec = {
            "branches": [
                {"name": b, "workflow": draw(names), "data": {draw(names): "{{ data.id }}"}}
                for b in branch_names
            ]
        }
        children = len(branch_names)
    else:
        spec = {"map_over": "data.items", "workflow": draw(names)}
        if draw(st.booleans()):
            spec["item_as"] = draw(names)
        children = 10
    join = draw(st.sampled_from(["all", "any", "n"]))
    if join != "all" or draw(st.booleans()):
        spec["join"] = join
    if join == "n":
        spec["n"] = draw(st.integers(1, children))
    if draw(st.booleans()):
        spec["on_failure"] = draw(st.sampled_from(["fail_fast", "wait_all", "compensate"]))
    if draw(st.booleans()):
        spec["concurrency"] = draw(st.integers(1, 8))
    if draw(st.booleans()):
        spec["results_to"] = draw(names)
    return spec


@st.composite
def valid_documents(draw):
    state_names = draw(st.lists(names, min_size=2, max_size=8, unique=True))
    action_table = draw(st.dictionaries(names, actions(), max_size=4))
    action_names = sorted(action_table)
    states, transitions = [], []
    last = len(state_names) - 1
    for index, name in enumerate(state_names):
        kind = (
            "final"
            if index == last
            else draw(st.sampled_from(["normal", "human", "wait", "parallel"]))
        )
        state = {"name": name, "kind": kind}
        if draw(st.booleans()):
            state["label"] = draw(free_text)
        if draw(st.booleans()):
            state["position"] = {
                "x": draw(st.floats(-1e6, 1e6)),
                "y": draw(st.integers(-1000, 1000)),
            }
        if kind == "human":
            state["task"] = {
                "title": draw(free_text) + " {{ data.id }}",
                "assign": {"group": draw(names)},
                "form": {"type": "object", "properties": {draw(names): {"type": "string"}}},
                "due": draw(durations),
                "priority": draw(st.integers(0, 100)),
            }
        if kind == "wait":
            state["wait"] = {"interval": "1s", "max_interval": "1h"}
        if kind == "parallel":
            state["parallel"] = draw(parallel_spec())
        states.append(state)
        if index == last:
            continue
        # The chain keeps every state reachable and an end in reach; waiting states move
        # on a named event, others automatically.
        forward = {"from": name, "to": state_names[index + 1]}
        if kind in ("human", "wait"):
            forward["on"] = draw(names.filter(lambda n: n not in ("auto", "timer")))
        if kind == "parallel":
            # The fan-in: on to the next state when joined, to the end if it cannot be.
            forward["on"] = "joined"
            if draw(st.booleans()):
                transitions.append({"from": name, "to": state_names[last], "on": "join_failed"})
        if action_names and draw(st.booleans()):
            forward["action"] = draw(st.sampled_from(action_names))
        transitions.append(forward)
        if draw(st.booleans()):
            # A guarded, ordered shortcut to the end on a timer.
            transitions.append(
                {
                    "from": name,
                    "to": state_names[last],
                    "on": "timer",
                    "after": draw(durations),
                    "when": draw(guards),
                    "label": draw(free_text),
                }
            )
    document = {
        "format": "workflow-island/v1",
        "key": draw(names),
        "name": draw(free_text),
        "initial": state_names[0],
        "states": states,
        "transitions": transitions,
    }
    if draw(st.booleans()):
        document["description"] = draw(free_text)
    if action_table:
        document["actions"] = action_table
    return document


def _shuffled(value, rng):
    """The same JSON with every mapping's keys in a random order."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {k: _shuffled(value[k], rng) for k in keys}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


@PROPERTY_SETTINGS
@given(valid_documents())
def test_generated_definition_is_valid_and_compiles(document):
    assert validate_document(document) == []
    machine = compile_machine(document)
    assert set(machine.states) == {s["name"] for s in document["states"]}


@PROPERTY_SETTINGS
@given(valid_documents(), st.sampled_from(["json", "yaml"]))
def test_export_and_import_round_trip_exactly(document, fmt):
    text = export_text(document, fmt)
    imported = import_text(text, fmt)
    assert imported == document
    assert export_text(imported, fmt) == text


@PROPERTY_SETTINGS
@given(valid_documents(), st.integers(0, 2**32))
def test_checksum_ignores_key_order_and_survives_round_trips(document, seed):
    shuffled = _shuffled(document, random.Random(seed))
    assert document_checksum(shuffled) == document_checksum(document)
    assert canonical_document(shuffled) == canonical_document(document)
    assert export_text(shuffled) == export_text(document)
    for fmt in ("json", "yaml"):
        assert document_checksum(import_text(export_text(document, fmt), fmt)) == (
            document_checksum(document)
        )


@PROPERTY_SETTINGS
@given(valid_documents())
def test_a_document_does_not_differ_from_itself(document):
    assert diff_documents(document, import_text(export_text(document, "yaml"), "yaml")).is_empty


@pytest.mark.django_db
@DATABASE_SETTINGS
@given(valid_documents(), st.sampled_from(["json", "yaml"]))
def test_imported_definition_is_stored_and_exported_exactly(db, document, fmt):
    text = export_text(document, fmt)
    with transaction.atomic():  # each example leaves nothing behind
        tenant = create_tenant(slug="round-trip", name="Round trip")
        version = services.import_document(tenant=tenant, text=text, fmt=fmt)
        assert version.checksum == document_checksum(document)
        assert services.export_version(tenant=tenant, version_id=version.pk, fmt=fmt) == text
        transaction.set_rollback(True)
