"""Validation finds every problem of a definition, each with the right path and code."""

from __future__ import annotations

import copy
import re

import pytest

from workflow_platform.definitions.validation import Problem, validate_document


def test_valid_document_has_no_problems(document):
    assert validate_document(document) == []


def test_problem_reads_as_element_and_reason_and_keeps_the_machine_path():
    problem = Problem(
        "states[2].task.form",
        "invalid_form",
        "not a valid JSON Schema",
        "state 'review'",
        "task.form",
    )
    assert problem.as_dict() == {
        "path": "states[2].task.form",
        "code": "invalid_form",
        "message": "not a valid JSON Schema",
        "element": "state 'review'",
        "field": "task.form",
    }
    assert str(problem) == "state 'review' (task.form): not a valid JSON Schema"


def _drop_transitions(doc, *indexes):
    doc["transitions"] = [t for i, t in enumerate(doc["transitions"]) if i not in indexes]


def _set(path, value):
    """A mutation that sets ``doc[path...] = value``."""

    def mutate(doc):
        target = doc
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return mutate


def _delete(path):
    def mutate(doc):
        target = doc
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return mutate


def _add_state(state, *transitions):
    def mutate(doc):
        doc["states"].append(state)
        doc["transitions"].extend(transitions)

    return mutate


def _all(*mutations):
    def mutate(doc):
        for mutation in mutations:
            mutation(doc)

    return mutate


INVALID = [
    # (id, mutation, expected path, expected code)
    ("unknown top-level field", _set(["colour"], "blue"), "colour", "unknown_field"),
    ("missing initial", _delete(["initial"]), "initial", "missing_field"),
    ("other format", _set(["format"], "bpmn/2"), "format", "unknown_format"),
    ("key is not a slug", _set(["key"], "my order!"), "key", "invalid_key"),
    ("initial names no state", _set(["initial"], "nowhere"), "initial", "unknown_state"),
    (
        "state named twice",
        _set(["states", 1, "name"], "received"),
        "states[1].name",
        "duplicate_state",
    ),
    (
        "unknown state kind",
        _set(["states", 0, "kind"], "sleepy"),
        "states[0].kind",
        "unknown_state_kind",
    ),
    (
        "state name with blanks",
        _set(["states", 0, "name"], "on hold"),
        "states[0].name",
        "invalid_name",
    ),
    (
        "transition to unknown state",
        _set(["transitions", 2, "to"], "limbo"),
        "transitions[2].to",
        "unknown_state",
    ),
    (
        "transition from unknown state",
        _set(["transitions", 3, "from"], "limbo"),
        "transitions[3].from",
        "unknown_state",
    ),
    (
        "transition runs unknown action",
        _set(["transitions", 1, "action"], "teleport"),
        "transitions[1].action",
        "unknown_action",
    ),
    (
        "guard does not parse",
        _set(["transitions", 0, "when"], "data.total >"),
        "transitions[0].when",
        "invalid_guard",
    ),
    (
        "guard reaches a dunder",
        _set(["transitions", 0, "when"], "data.__class__"),
        "transitions[0].when",
        "invalid_guard",
    ),
    (
        "guard calls a non-whitelisted function",
        _set(["transitions", 0, "when"], "open('/etc/passwd')"),
        "transitions[0].when",
        "invalid_guard",
    ),
    (
        "guard uses an unknown root",
        _set(["transitions", 0, "when"], "os.environ"),
        "transitions[0].when",
        "invalid_guard",
    ),
    (
        "guard too long",
        _set(["transitions", 0, "when"], "data.x == 1 or " * 40 + "true"),
        "transitions[0].when",
        "guard_too_long",
    ),
    (
        "bad timer duration",
        _set(["transitions", 8, "after"], "2 weeks"),
        "transitions[8].after",
        "bad_duration",
    ),
    (
        "negative duration",
        _set(["states", 2, "wait", "interval"], -5),
        "states[2].wait.interval",
        "bad_duration",
    ),
    (
        "duration beyond a year",
        _set(["transitions", 8, "after"], "99999999999999999999d"),
        "transitions[8].after",
        "bad_duration",
    ),
    (
        "timer without a time",
        _delete(["transitions", 8, "after"]),
        "transitions[8]",
        "timer_without_time",
    ),
    (
        "time on a non-timer transition",
        _set(["transitions", 3, "after"], "1h"),
        "transitions[3].after",
        "time_without_timer",
    ),
    (
        "timer 'at' reads the event",
        _all(_delete(["transitions", 8, "after"]), _set(["transitions", 8, "at"], "event.when")),
        "transitions[8].at",
        "invalid_expression",
    ),
    ("human state without task", _delete(["states", 1, "task"]), "states[1].task", "missing_task"),
    (
        "human state without a decision",
        lambda d: _drop_transitions(d, 2, 3),
        "states[1]",
        "human_without_decision",
    ),
    (
        "form is not a JSON Schema",
        _set(["states", 1, "task", "form"], {"type": "objectz"}),
        "states[1].task.form",
        "invalid_form",
    ),
    (
        "form does not describe an object",
        _set(["states", 1, "task", "form"], {"type": "string"}),
        "states[1].task.form",
        "invalid_form",
    ),
    (
        "assignment without a target",
        _set(["states", 1, "task", "assign"], {"strategy": "least_loaded"}),
        "states[1].task.assign",
        "bad_assignment",
    ),
    (
        "task title placeholder unsafe",
        _set(["states", 1, "task", "title"], "{{ data._secret }}"),
        "states[1].task.title",
        "invalid_template",
    ),
    (
        "task on a normal state",
        _set(["states", 0, "task"], {"title": "x"}),
        "states[0].task",
        "task_on_normal_state",
    ),
    (
        "wait polls an unknown action",
        _set(["states", 2, "wait", "poll"], "ask_bank"),
        "states[2].wait.poll",
        "unknown_action",
    ),
    (
        "wait deadline without a transition",
        lambda d: _drop_transitions(d, 5),
        "states[2].wait.deadline",
        "deadline_unhandled",
    ),
    (
        "polling wait without completion",
        _set(["transitions", 4, "on"], "done"),
        "states[2]",
        "wait_without_completion",
    ),
    (
        "wait interval above its maximum",
        _set(["states", 2, "wait", "max_interval"], "10s"),
        "states[2].wait.interval",
        "bad_interval",
    ),
    (
        "parallel without a join transition",
        _set(["transitions", 6, "on"], "finished"),
        "states[4]",
        "parallel_without_join",
    ),
    (
        "parallel with branches and map_over",
        _set(["states", 4, "parallel", "branches"], [{"name": "a", "workflow": "x"}]),
        "states[4].parallel",
        "parallel_needs_one_source",
    ),
    (
        "join n without n",
        _set(["states", 4, "parallel", "join"], "n"),
        "states[4].parallel.n",
        "missing_field",
    ),
    (
        "map_over does not parse",
        _set(["states", 4, "parallel", "map_over"], "data.parcels["),
        "states[4].parallel.map_over",
        "invalid_expression",
    ),
    (
        "unknown join policy",
        _set(["states", 4, "parallel", "on_failure"], "shrug"),
        "states[4].parallel.on_failure",
        "invalid_choice",
    ),
    (
        "state timeout without a timeout transition",
        _set(["states", 0, "timeout"], "5m"),
        "states[0].timeout",
        "timeout_unhandled",
    ),
    (
        "unreachable state",
        _add_state({"name": "orphan"}, {"from": "orphan", "to": "shipped"}),
        "states[6]",
        "unreachable_state",
    ),
    (
        "state without a way out",
        _all(_add_state({"name": "limbo"}), _set(["transitions", 1, "to"], "limbo")),
        "states[6]",
        "no_way_out",
    ),
    (
        "loop with no end",
        _add_state(
            {"name": "spin"},
            {"from": "spin", "to": "spin", "on": "again"},
            {"from": "received", "to": "spin", "on": "twirl"},
        ),
        "states[6]",
        "no_path_to_end",
    ),
    (
        "two unordered auto transitions",
        _delete(["transitions", 0, "order"]),
        "transitions[0]",
        "ambiguous_transition",
    ),
    (
        "two guarded unordered transitions",
        _set(["transitions", 1, "when"], "data.total <= 1000"),
        "transitions[1]",
        "ambiguous_transition",
    ),
    (
        "same order twice",
        _all(_set(["transitions", 1, "order"], 1), _set(["transitions", 1, "when"], "true")),
        "transitions[1].order",
        "duplicate_order",
    ),
    (
        "transition behind an unguarded one",
        _all(
            _delete(["transitions", 0, "when"]),
            _set(["transitions", 1, "order"], 2),
            _set(["transitions", 1, "when"], "true"),
        ),
        "transitions[1]",
        "unreachable_transition",
    ),
    (
        "transition leaves a final state",
        lambda d: d["transitions"].append({"from": "shipped", "to": "received", "on": "reopen"}),
        "transitions[9].from",
        "transition_from_terminal",
    ),
    (
        "auto transition out of a human state",
        _set(["transitions", 3, "on"], "auto"),
        "transitions[3].on",
        "auto_from_waiting_state",
    ),
    (
        "unknown action type",
        _set(["actions", "charge", "type"], "ftp"),
        "actions.charge.type",
        "unknown_action_type",
    ),
    (
        "undeclared dependency",
        _delete(["dependencies"]),
        "actions.charge.dependency",
        "unknown_dependency",
    ),
    (
        "compensation is not an action",
        _set(["actions", "charge", "compensation"], "undo"),
        "actions.charge.compensation",
        "unknown_compensation",
    ),
    (
        "action compensates itself",
        _set(["actions", "refund", "compensation"], "refund"),
        "actions.refund.compensation",
        "self_compensation",
    ),
    (
        "retry without attempts",
        _set(["actions", "charge", "retry", "max_attempts"], 0),
        "actions.charge.retry.max_attempts",
        "out_of_range",
    ),
    (
        "retry jitter above one",
        _set(["actions", "charge", "retry", "jitter"], 3),
        "actions.charge.retry.jitter",
        "out_of_range",
    ),
    (
        "http action without url",
        _delete(["actions", "refund", "params", "url"]),
        "actions.refund.params.url",
        "missing_param",
    ),
    (
        "guard with a power over the bound",
        _set(["transitions", 0, "when"], "10**10**10 > 1"),
        "transitions[0].when",
        "invalid_guard",
    ),
    (
        "guard repeats a text a billion times",
        _set(["transitions", 0, "when"], "len('a' * 10**9) > data.total"),
        "transitions[0].when",
        "invalid_guard",
    ),
    (
        "placeholder scales by a power over the bound",
        _set(["actions", "charge", "params", "body", "amount"], "{{ data.total * 10 ** 100 }}"),
        "actions.charge.params.body.amount",
        "invalid_template",
    ),
    (
        "http action calls a file URL",
        _set(["actions", "refund", "params", "url"], "file:///etc/passwd"),
        "actions.refund.params.url",
        "bad_url",
    ),
    (
        "http action calls gopher",
        _set(["actions", "refund", "params", "url"], "gopher://127.0.0.1:70/_{{ data.x }}"),
        "actions.refund.params.url",
        "bad_url",
    ),
    (
        "http action calls ftp",
        _set(["actions", "charge", "params", "url"], "FTP://files.example/{{ data.id }}"),
        "actions.charge.params.url",
        "bad_url",
    ),
    (
        "http url without a scheme",
        _set(["actions", "refund", "params", "url"], "bank.example/refunds"),
        "actions.refund.params.url",
        "bad_url",
    ),
    (
        "http url without a host",
        _set(["actions", "refund", "params", "url"], "https:///refunds"),
        "actions.refund.params.url",
        "bad_url",
    ),
    (
        "webhook to a file URL",
        _set(
            ["actions", "refund"],
            {"type": "notify", "params": {"channel": "webhook", "url": "file:///etc/passwd"}},
        ),
        "actions.refund.params.url",
        "bad_url",
    ),
    (
        "python action without callable",
        _set(["actions", "check_payment", "params"], {}),
        "actions.check_payment.params.callable",
        "missing_param",
    ),
    (
        "bad placeholder in params",
        _set(["actions", "charge", "params", "body", "amount"], "{{ data.total + }}"),
        "actions.charge.params.body.amount",
        "invalid_template",
    ),
    (
        "action name with blanks",
        _set(["actions", "do it"], {"type": "set", "params": {"set": {"a": 1}}}),
        "actions.do it",
        "invalid_name",
    ),
    (
        "negative rate limit",
        _set(["dependencies", "bank", "rate_limit", "tps"], -1),
        "dependencies.bank.rate_limit.tps",
        "out_of_range",
    ),
    (
        "unknown transition field",
        _set(["transitions", 0, "colour"], "red"),
        "transitions[0].colour",
        "unknown_field",
    ),
    (
        "order is not a number",
        _set(["transitions", 0, "order"], "first"),
        "transitions[0].order",
        "wrong_type",
    ),
    (
        "too many states",
        lambda d: d["states"].extend({"name": f"s{i}"} for i in range(200)),
        "states",
        "too_many_states",
    ),
    ("document too large", _set(["description"], "x" * 300_000), "", "document_too_large"),
]

# What each reason must say, beyond being non-empty: the rule broken and the offending
# name or value, so a person can act on it.
REASONS = {
    "unknown top-level field": r"'colour' is not a field here; known fields: actions",
    "missing initial": r"'initial' is required",
    "other format": r"must be 'workflow-island/v1'",
    "key is not a slug": r"must be a slug",
    "initial names no state": r"the initial state 'nowhere' is not a state",
    "state named twice": r"'received' is already the name of another state \(number 1 in",
    "unknown state kind": r"must be one of: normal, human, wait, parallel, final, failed",
    "state name with blanks": r"must start with a letter",
    "transition to unknown state": r"no state 'limbo'",
    "transition from unknown state": r"no state 'limbo'",
    "transition runs unknown action": r"no action 'teleport'",
    "guard does not parse": r"syntax error: .* \(at character 13\)",
    "guard reaches a dunder": r"fields starting with '_' are not allowed",
    "guard calls a non-whitelisted function": r"only these functions can be called: abs, ",
    "guard uses an unknown root": r"unknown name 'os': use data, event",
    "guard too long": r"longer than 500 characters",
    "bad timer duration": r"is not a duration like '500ms'",
    "negative duration": r"must be at least 0",
    "duration beyond a year": r"longer than 366 days",
    "timer without a time": r"needs exactly one of 'after' .* or 'at'",
    "time on a non-timer transition": r"'after' needs \"on\": \"timer\"",
    "timer 'at' reads the event": r"unknown name 'event': use data\b",
    "human state without task": r"a human state needs a task",
    "human state without a decision": r"'review' needs at least one outgoing transition on a named",
    "form is not a JSON Schema": r"not a valid JSON Schema .*'objectz'",
    "form does not describe an object": r"describes an object",
    "assignment without a target": r"needs a group, a user or a rule",
    "task title placeholder unsafe": r"placeholder '\{\{ data\._secret \}\}': fields starting",
    "task on a normal state": r"only a 'human' state has 'task'; this state is 'normal'",
    "wait polls an unknown action": r"no action 'ask_bank' to poll with",
    "wait deadline without a transition": r"'paying' has a deadline, so it needs .*'deadline'",
    "polling wait without completion": r"'paying' polls, so it needs .*'completed'",
    "wait interval above its maximum": r"'interval' is longer than 'max_interval'",
    "parallel without a join transition": r"'packing' needs a transition on 'joined'",
    "parallel with branches and map_over": r"either 'branches' .* or 'map_over'",
    "join n without n": r"join 'n' needs 'n'",
    "map_over does not parse": r"'\[' was never closed",
    "unknown join policy": r"must be one of: fail_fast, wait_all, compensate",
    "state timeout without a timeout transition": r"'received' has a timeout, .*'timeout'",
    "unreachable state": r"'orphan' cannot be reached from the initial state 'received'",
    "state without a way out": r"'limbo' is not final or failed but has no transition out",
    "loop with no end": r"from state 'spin' no final or failed state can be reached",
    "two unordered auto transitions": r"received -> review, received -> paying all leave 'rece",
    "two guarded unordered transitions": r"received -> review, received -> paying all leave 'rece",
    "same order twice": r"on 'auto' with the same order 1",
    "transition behind an unguarded one": r"received -> review has no guard .* this one \(received",
    "transition leaves a final state": r"'shipped' is a final state",
    "auto transition out of a human state": r"left on an event or a timer, not 'auto'",
    "unknown action type": r"must be one of: http, python, set, subworkflow, notify",
    "undeclared dependency": r"dependency 'bank' is declared neither in 'dependencies'",
    "compensation is not an action": r"the compensation 'undo' is not an action",
    "action compensates itself": r"cannot compensate itself",
    "retry without attempts": r"must be at least 1",
    "retry jitter above one": r"must be at most 1",
    "http action without url": r"a http action needs params\.url",
    "python action without callable": r"a python action needs params\.callable",
    "guard with a power over the bound": r"exponent 10000000000 .* -64 to 64, whatever the data",
    "guard repeats a text a billion times": r"repeated at most 10000 times, whatever the data",
    "placeholder scales by a power over the bound": r"10 \*\* 100 \}\}': the exponent 100",
    "http action calls a file URL": r"action 'refund' calls a file: URL; only http:// and https",
    "http action calls gopher": r"action 'refund' calls a gopher: URL; only http",
    "http action calls ftp": r"action 'charge' calls a ftp: URL",
    "http url without a scheme": r"action 'refund' calls 'bank\.example/refunds', which does not",
    "http url without a host": r"action 'refund' calls 'https:///refunds', a URL without a host",
    "webhook to a file URL": r"action 'refund' calls a file: URL",
    "bad placeholder in params": r"placeholder '\{\{ data\.total \+ \}\}': syntax error",
    "action name with blanks": r"the name must start with a letter",
    "negative rate limit": r"must be more than 0",
    "unknown transition field": r"'colour' is not a field here; known fields: action, after",
    "order is not a number": r"must be a whole number",
    "too many states": r"more than 200 entries",
    "document too large": r"the definition is \d+ bytes; the limit is 262144",
}


@pytest.mark.parametrize(
    ("mutation", "path", "code", "reason"),
    [pytest.param(m, p, c, REASONS[name], id=name) for name, m, p, c in INVALID],
)
def test_invalid_definition_is_rejected_with_path_code_and_a_specific_reason(
    document, mutation, path, code, reason
):
    mutation(document)
    problems = validate_document(document)
    found = [p for p in problems if (p.path, p.code) == (path, code)]
    assert found, problems
    assert any(re.search(reason, p.message) for p in found), [p.message for p in found]
    assert all(p.message for p in problems)


def test_table_covers_at_least_thirty_distinct_problems():
    assert len({code for *_, code in INVALID}) >= 30


def test_every_invalid_case_names_the_reason_it_expects():
    assert set(REASONS) == {name for name, *_ in INVALID}


def test_every_problem_is_reported_at_once(document):
    document["initial"] = "nowhere"
    document["transitions"][0]["when"] = "data.total >"
    document["actions"]["charge"]["type"] = "ftp"
    codes = {p.code for p in validate_document(document)}
    assert {"unknown_state", "invalid_guard", "unknown_action_type"} <= codes


def test_non_object_document_is_one_problem():
    assert [p.code for p in validate_document(["not", "a", "document"])] == ["not_an_object"]


def test_single_unguarded_fallback_behind_guarded_ordered_transitions_is_fine(document):
    document["transitions"].insert(
        1, {"from": "received", "to": "rejected", "when": "data.total < 0", "order": 2}
    )
    assert validate_document(document) == []


def test_timers_with_different_times_are_not_ambiguous(document):
    document["transitions"].append(
        {"from": "review", "to": "rejected", "on": "timer", "after": "3d"}
    )
    assert validate_document(document) == []


@pytest.mark.django_db
def test_groups_users_and_dependencies_are_checked_against_the_tenant(document, make_tenant):
    tenant = make_tenant()
    document["states"][1]["task"]["escalate_to"] = {"user": "nobody"}
    document["actions"]["charge"]["dependency"] = "ledger"
    document["actions"]["check_payment"]["params"]["callable"] = "demo.no_such_thing"
    found = {(p.path, p.code) for p in validate_document(document, tenant=tenant)}
    assert ("actions.check_payment.params.callable", "unknown_callable") in found
    assert ("states[1].task.assign.group", "unknown_group") in found
    assert ("states[1].task.escalate_to.user", "unknown_user") in found
    assert ("actions.charge.dependency", "unknown_dependency") in found
    assert ("states[4].parallel.workflow", "unknown_workflow") not in found  # its own key


@pytest.mark.django_db
def test_tenant_groups_and_dependencies_satisfy_references(document, make_tenant, make_member):
    from workflow_platform.definitions.models import Dependency
    from workflow_platform.tenancy.services import add_to_group

    tenant = make_tenant()
    user = make_member(tenant, username="ann")
    add_to_group(tenant=tenant, group_name="ops", user=user)
    Dependency.objects.create(tenant=tenant, name="ledger", rate_limit_tps=1)
    document["states"][1]["task"]["escalate_to"] = {"user": "ann"}
    document["actions"]["charge"]["dependency"] = "ledger"
    document["actions"]["check_payment"]["params"]["callable"] = "demo.scan_status"
    assert validate_document(document, tenant=tenant) == []


@pytest.mark.parametrize(
    "bad",
    [
        {"states": [{"name": ["a"]}, {"name": "b", "kind": "final"}]},
        {"transitions": [{"from": {"a": 1}, "to": "b"}]},
    ],
)
def test_a_name_that_is_a_list_or_object_is_a_located_problem_not_a_crash(bad):
    document = {
        "format": "workflow-island/v1",
        "key": "k",
        "initial": "a",
        "states": [{"name": "a"}, {"name": "b", "kind": "final"}],
        "transitions": [{"from": "a", "to": "b"}],
        **bad,
    }
    problems = validate_document(document)
    assert problems
    assert all(p.path.startswith(("states", "transitions", "initial")) for p in problems)


def _leaves(value, path=()):
    """Every path to a scalar inside ``value``."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path


@pytest.mark.parametrize("shape", [["x"], {"a": 1}], ids=["list", "object"])
def test_any_field_of_a_template_given_a_list_or_object_is_answered_never_raised(shape):
    """Where the format wants a scalar, a list or an object is a located problem; where any
    JSON is allowed (action params, forms) the document stays valid. Never an exception."""
    from workflow_platform.definitions.templates import template_documents

    free = {"params", "form", "data", "result_map", "description"}
    for template in template_documents():
        for path in _leaves(template):
            document = copy.deepcopy(template)
            holder = document
            for step in path[:-1]:
                holder = holder[step]
            holder[path[-1]] = shape
            problems = validate_document(document)
            if not free & {step for step in path if isinstance(step, str)}:
                assert problems, path


@pytest.mark.parametrize(
    "url",
    [
        "https://bank.example/refunds",
        "HTTP://bank.example:8080/x?y=1",
        "{{ data.callback_url }}",
        "{{ data.base }}/refunds/{{ data.id }}",
        "https://{{ data.host }}/refunds",
        "https://bank.example/{{ data.id }}",
    ],
)
def test_http_urls_and_urls_started_by_a_placeholder_publish(document, url):
    document["actions"]["refund"]["params"]["url"] = url
    assert validate_document(document) == []


@pytest.mark.parametrize(
    ("mutate", "path", "element", "field"),
    [
        (_set(["states", 1, "task", "form"], {"type": "objectz"}), "states[1].task.form",
         "state 'review'", "task.form"),
        (_set(["transitions", 2, "when"], "data.x >> 1"), "transitions[2].when",
         "transition review -> paying on 'approve'", "when"),
        (_set(["transitions", 1, "when"], "data.total <= 1000"), "transitions[1]",
         "transition received -> paying", ""),
        (_set(["actions", "charge", "compensation"], "undo"), "actions.charge.compensation",
         "action 'charge'", "compensation"),
        (_set(["dependencies", "bank", "rate_limit", "tps"], -1),
         "dependencies.bank.rate_limit.tps", "dependency 'bank'", "rate_limit.tps"),
        (_set(["initial"], "nowhere"), "initial", "the definition", "initial"),
        (_set(["states", 1, "name"], "received"), "states[1].name", "state 'received'", "name"),
    ],
)  # fmt: skip
def test_each_problem_names_its_element_in_words_beside_the_machine_path(
    document, mutate, path, element, field
):
    mutate(document)
    found = {p.path: p for p in validate_document(document)}
    assert path in found, sorted(found)
    assert (found[path].element, found[path].field) == (element, field)
    assert "[" not in found[path].element


def test_no_problem_message_shows_a_raw_list_index(document):
    # The messages that used to say "states[0]" or "transitions[1]" name the element.
    document["states"].append({"name": "shipped", "kind": "final"})
    del document["transitions"][0]["order"]
    document["transitions"].append(
        {"from": "paying", "to": "rejected", "on": "deadline", "order": 1, "when": "true"}
    )
    document["transitions"][5].update(order=1, when="data.late")
    problems = validate_document(document)
    assert {"duplicate_state", "ambiguous_transition", "duplicate_order"} <= {
        p.code for p in problems
    }
    for problem in problems:
        assert not re.search(r"(states|transitions)\[\d+\]", problem.message), problem


def _chain(*, with_exit: bool):
    """received -> review (a human decision) -> approved: the smallest workflow."""
    transitions = [{"from": "received", "to": "review"}]
    if with_exit:
        transitions.append({"from": "review", "to": "approved", "on": "approve"})
    return {
        "format": "workflow-island/v1",
        "key": "chain",
        "name": "Chain",
        "initial": "received",
        "states": [
            {"name": "received"},
            {"name": "review", "kind": "human", "task": {"title": "Look"}},
            {"name": "approved", "kind": "final"},
        ],
        "transitions": transitions,
    }


def test_one_missing_exit_is_one_problem_not_four():
    assert validate_document(_chain(with_exit=True)) == []
    problems = validate_document(_chain(with_exit=False))
    # It used to be four: no decision, no way out, 'received' trapped, 'approved' unreachable.
    assert [(p.path, p.code) for p in problems] == [("states[1]", "human_without_decision")]
    assert "nothing leads to state 'approved' either" in problems[0].message
    assert "review -> approved" in problems[0].message


def test_a_dead_end_is_reported_once_and_the_states_before_it_are_not_trapped_again(document):
    document["states"].append({"name": "limbo"})
    document["transitions"][1]["to"] = "limbo"  # received -> limbo, and limbo goes nowhere
    document["transitions"].insert(0, {"from": "limbo", "to": "limbo", "on": "never"})
    del document["transitions"][0]  # (keeps the indexes readable: limbo has no exit)
    problems = validate_document(document)
    assert [(p.path, p.code) for p in problems] == [("states[6]", "no_way_out")]


def test_a_closed_loop_is_one_problem_for_all_its_states_and_none_for_those_leading_in(document):
    document["states"] += [{"name": "spin"}, {"name": "spun"}, {"name": "entry"}]
    document["transitions"] += [
        {"from": "spin", "to": "spun", "on": "a"},
        {"from": "spun", "to": "spin", "on": "b"},
        {"from": "entry", "to": "spin", "on": "c"},
        {"from": "received", "to": "entry", "on": "twirl"},
    ]
    problems = validate_document(document)
    assert [(p.path, p.code) for p in problems] == [("states[6]", "no_path_to_end")]
    assert "'spin' and 'spun' only lead to each other" in problems[0].message


def test_states_unreachable_only_through_another_are_named_in_its_problem(document):
    document["states"] += [{"name": "orphan"}, {"name": "after_orphan"}]
    document["transitions"] += [
        {"from": "orphan", "to": "after_orphan", "on": "go"},
        {"from": "after_orphan", "to": "shipped", "on": "go"},
    ]
    problems = validate_document(document)
    assert [(p.path, p.code) for p in problems] == [("states[6]", "unreachable_state")]
    assert "neither can 'after_orphan'" in problems[0].message


def test_two_unrelated_faults_stay_two_problems(document):
    # Two dead ends: which orphan belongs to which cannot be told, so nothing is merged.
    document["states"] += [{"name": "limbo"}, {"name": "void"}, {"name": "orphan"}]
    document["transitions"][1]["to"] = "limbo"
    document["transitions"].append({"from": "received", "to": "void", "on": "x"})
    document["transitions"].append({"from": "orphan", "to": "shipped", "on": "y"})
    codes = sorted(p.code for p in validate_document(document))
    assert codes == ["no_way_out", "no_way_out", "unreachable_state"]


def test_an_element_named_with_a_lone_surrogate_is_shown_so_an_answer_can_carry_it(document):
    document["states"][2]["name"] = "pay\ud800ing"
    problems = validate_document(document)
    assert [p.code for p in problems] == ["invalid_character"]
    assert problems[0].element == "state 'pay?ing'"
    str(problem := problems[0]).encode()  # no UnicodeEncodeError
    assert problem.path == "states[2].name"


def test_alike_transitions_are_told_apart_by_their_place():
    from workflow_platform.definitions.elements import element_of

    document = {"transitions": [{"from": "a", "to": "b"}, {"from": "a", "to": "c"},
                                {"from": "a", "to": "b"}, {"from": "a", "to": "b"}]}  # fmt: skip
    assert element_of(document, "transitions[2].when")[0] == "transition a -> b (2nd of 3)"
    assert element_of(document, "transitions[1].when")[0] == "transition a -> c"
