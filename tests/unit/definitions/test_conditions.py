"""The guard language: what it computes, what it refuses, and how it stops hostile input."""

from __future__ import annotations

import ast
import time
from datetime import UTC, datetime, timedelta

import pytest

from workflow_platform.definitions.condition_syntax import describe
from workflow_platform.definitions.conditions import (
    GUARD_ROOTS,
    ConditionError,
    evaluate_condition,
    is_true,
    parse_condition,
    parse_template,
    render_template,
)

ORDER = {
    "data": {
        "total": 150,
        "country": "DE",
        "items": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 1}],
        "customer": {"tier": "gold", "tags": ["vip", "early"]},
        "ship_by": "2026-12-01T10:00:00Z",
        "note": None,
    },
    "event": {"approved": True},
    "result": {"status": 200},
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("data.total >= 100", True),
        ("data.total > 100 and data.country == 'DE'", True),
        ("data.total < 100 or not event.approved", False),
        ("lower(data.country) in ['de', 'at']", True),
        ("data.country not in ('FR', 'IT')", True),
        ("data['customer']['tier'] == 'gold'", True),
        ("data.items[0].sku", "a"),
        ("data.items[-1].qty", 1),
        ("data.items[5]", None),
        ("data.missing.deeper.still", None),
        ("data.note is None", True),
        ("data.note is not None", False),
        ("'vip' in data.customer.tags", True),
        ("contains(data.customer.tags, 'early')", True),
        ("startswith(data.customer.tier, 'go')", True),
        ("len(data.items)", 2),
        ("len(data.missing)", 0),
        ("data.total * 2 + 1", 301),
        ("data.total / 4", 37.5),
        ("data.total // 4", 37),
        ("data.total % 7", 3),
        ("2 ** 10", 1024),
        ("-data.total", -150),
        ("abs(-3)", 3),
        ("min(3, 1, 2)", 1),
        ("max([4, 9, 2])", 9),
        ("round(2.567, 2)", 2.57),
        ("int('42') + float('0.5')", 42.5),
        ("str(12) + '-' + upper('x')", "12-X"),
        ("'big' if data.total > 100 else 'small'", "big"),
        ("true and not false", True),
        ("null", None),
        ("1 < 2 < 3", True),
        ("result.status == 200", True),
        ("data.missing > 3", False),  # ordering against a missing value is false
        ("sum([1, 2, 3])", 6),
        ("'ell' in 'hello'", True),
    ],
)
def test_expression_evaluates_over_instance_data(expression, expected):
    assert evaluate_condition(expression, ORDER) == expected


def test_timestamps_and_durations_combine():
    at = evaluate_condition("timestamp(data.ship_by) - duration('1h')", ORDER)
    assert at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert evaluate_condition("now() > timestamp('2020-01-01')", ORDER) is True
    assert evaluate_condition("duration('5m') + duration('30s')", ORDER) == timedelta(seconds=330)


def test_parsed_condition_can_be_evaluated_many_times():
    guard = parse_condition("data.total > limit", roots=("data", "limit"))
    assert is_true(guard, {"data": {"total": 5}, "limit": 3})
    assert not is_true(guard, {"data": {"total": 1}, "limit": 3})
    assert guard.names() == {"data", "limit"}


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('id')",
        "open('/etc/passwd').read()",
        "data.__class__",
        "data.__class__.__mro__[1].__subclasses__()",
        "().__class__.__bases__[0]",
        "data._private",
        "_hidden",
        "data.get('total')",
        "data.items.pop()",
        "getattr(data, 'x')",
        "eval('1')",
        "exec('x=1')",
        "compile('1', 'f', 'eval')",
        "globals()",
        "[x for x in data.items]",
        "{k: 1 for k in data}",
        "lambda: 1",
        "(y := 3)",
        "f'{data}'",
        "{'a': 1}",
        "{1, 2}",
        "data.items[0:1]",
        "b'bytes'",
        "1j",
        "len(*data.items)",
        "max(data.items, key=len)",
        "data.x is 3",
        "import os",
        "data.total = 3",
    ],
)
def test_unsafe_or_unsupported_expression_is_refused_when_parsed(expression):
    with pytest.raises(ConditionError) as caught:
        parse_condition(expression)
    assert caught.value.code == "invalid_condition"
    assert caught.value.message


def test_python_objects_in_names_are_never_reached_through_attributes():
    class Secretive:
        password = "hunter2"

    names = {"data": Secretive(), "event": {"obj": Secretive()}}
    assert evaluate_condition("data.password", names) is None
    assert evaluate_condition("event.obj.password", names) is None
    assert evaluate_condition("event['obj']['password']", names) is None


def test_unknown_root_name_is_refused_at_parse_when_roots_are_given():
    with pytest.raises(ConditionError, match="unknown name 'os'") as caught:
        parse_condition("data.x and os", roots=GUARD_ROOTS)
    assert caught.value.position == 11


def test_unknown_root_name_fails_at_evaluation_without_roots():
    with pytest.raises(ConditionError, match="unknown name") as caught:
        evaluate_condition("secrets.key", {"data": {}})
    assert caught.value.code == "condition_failed"


def test_syntax_error_reports_its_position():
    with pytest.raises(ConditionError) as caught:
        parse_condition("  data.total >> ")
    assert caught.value.message.startswith("syntax error")
    assert caught.value.position is not None and caught.value.position >= 2


# The same operation twice: written with constants it can only fail, so it is refused
# when parsed (validation, publish); reading its operands from the data, it fails when
# evaluated, with the same reason.
SURE_FAILURES = [
    ("9 ** 9 ** 9", "data.nine ** data.nine ** data.nine", "exponent 387420489"),
    ("10 ** 10 ** 10 > 1", "data.ten ** data.ten ** data.ten > 1", "outside -64 to 64"),
    ("(2 ** 64) ** 2", "data.big ** 2", "base of a power"),
    ("10 ** 60 * 10 ** 60", "data.ten ** 60 * data.ten ** 60", "larger than 256 bits"),
    ("'ab' * 6000", "data.a * 6000 + data.a * 6000", "longer than"),
    ("'a' * 10 ** 6", "data.a * data.million", "at most 10000 times"),
    ("'a' * 10 ** 9", "data.a * data.billion", "at most 10000 times"),
    ("'' * 10 ** 30", "data.empty * data.huge", "at most 10000 times"),
    ("[0] * 100000", "[data.zero] * 100000", "at most 10000 times"),
    ("[0] * 6000 + [1] * 6000", "[data.zero] * 6000 + [data.zero] * 6000", "longer than"),
    ("[[0] * 100] * 100", "[[data.zero] * 100] * 100", "plain values"),
    ("1 / 0", "data.three / data.zero", "division by zero"),
    ("'a' + 1", "data.a + 1", "cannot compute"),
    ("'a' < 1", "data.a < 1", "cannot compare"),
    ("len(3)", "len(data.three)", "cannot take"),
    ("lower(3)", "lower(data.three)", "needs text"),
    ("int('x')", "int(data.a)", "cannot take"),
    ("str([1, 2])", "str([data.three])", "single value"),
    ("timestamp('not a time')", "timestamp(data.a)", "cannot take"),
    ("round(5, -10 ** 7)", "round(data.three, data.minus_huge)", "between -100 and 100"),
]
RUNTIME = {
    "data": {
        "nine": 9,
        "ten": 10,
        "big": 2**64,
        "a": "a",
        "empty": "",
        "million": 10**6,
        "billion": 10**9,
        "huge": 10**30,
        "zero": 0,
        "three": 3,
        "minus_huge": -(10**7),
    }
}


@pytest.mark.parametrize(("constant", "from_data", "reason"), SURE_FAILURES)
def test_a_data_free_part_that_can_only_fail_is_refused_when_parsed(constant, from_data, reason):
    with pytest.raises(ConditionError, match=reason) as caught:
        parse_condition(constant, roots=GUARD_ROOTS)
    assert caught.value.code == "invalid_condition"
    assert caught.value.message.endswith("whatever the data")
    assert caught.value.position is not None


@pytest.mark.parametrize(("constant", "from_data", "reason"), SURE_FAILURES)
def test_the_same_operation_on_data_fails_when_evaluated_within_bounds(constant, from_data, reason):
    parse_condition(from_data, roots=GUARD_ROOTS)  # only the data can tell
    started = time.monotonic()
    with pytest.raises(ConditionError, match=reason) as caught:
        evaluate_condition(from_data, RUNTIME)
    assert caught.value.code == "condition_failed"
    assert time.monotonic() - started < 0.1


def test_sure_failure_points_at_the_part_in_the_text_as_written():
    with pytest.raises(ConditionError) as caught:
        parse_condition("  data.total > 0 and 2 ** 100 > data.total")
    assert caught.value.position == len("  data.total > 0 and ")


def test_data_free_parts_that_succeed_are_kept_and_short_circuits_respected():
    assert evaluate_condition("2 ** 64 > data.nine", RUNTIME) is True
    assert evaluate_condition("false and 1 / 0", RUNTIME) is False
    assert evaluate_condition("now() > timestamp('2020-01-01')", RUNTIME) is True


def test_a_wrong_number_of_arguments_is_refused_when_parsed():
    with pytest.raises(ConditionError, match=r"round\(\) takes 1 to 2 argument\(s\), not 0"):
        parse_condition("round()")
    with pytest.raises(ConditionError, match=r"len\(\) takes 1 argument\(s\), not 2"):
        parse_condition("len(data.a, data.b)")


def test_too_long_expression_is_refused():
    with pytest.raises(ConditionError, match="limit is 500"):
        parse_condition("data.x == " + "1 + " * 200 + "1")


def test_too_complex_expression_is_refused():
    with pytest.raises(ConditionError, match="too complex"):
        parse_condition("+".join(["1"] * 240))


def test_deeply_nested_expression_is_refused():
    with pytest.raises(ConditionError, match="nested"):
        parse_condition("not " * 40 + "true")
    with pytest.raises(ConditionError, match="nested"):
        parse_condition("[" * 40 + "1" + "]" * 40)
    with pytest.raises(ConditionError):
        parse_condition("(" * 250 + "1" + ")" * 250)


def test_pathological_guard_is_cut_off_quickly():
    big = {"data": {"rows": list(range(4000))}}
    # Each membership test walks 4000 items; the step budget stops it long before the
    # 20 tests in this guard are done.
    guard = " or ".join(["-1 in data.rows"] * 20)
    started = time.monotonic()
    with pytest.raises(ConditionError, match="too much work") as caught:
        evaluate_condition(guard, big)
    assert caught.value.code == "condition_too_costly"
    assert time.monotonic() - started < 0.5


def test_template_renders_placeholders_with_json_spellings():
    text = "Order {{ data.id }} for {{ data.customer }} paid={{ event.paid }} note={{data.x}}"
    names = {"data": {"id": 7, "customer": {"name": "Ann"}}, "event": {"paid": True}}
    assert render_template(text, names) == 'Order 7 for {"name":"Ann"} paid=true note='


def test_template_without_placeholders_is_unchanged():
    assert render_template("plain text { not a placeholder }", {}) == (
        "plain text { not a placeholder }"
    )


def test_template_with_bad_placeholder_points_into_the_text():
    with pytest.raises(ConditionError, match="in placeholder") as caught:
        parse_template("Hello {{ data.__dict__ }}", roots=GUARD_ROOTS)
    assert caught.value.position == len("Hello {{ data.")  # at the refused field itself


def test_dunder_keys_are_plain_data_lookups():
    names = {"data": {"__class__": "just a key"}}
    assert evaluate_condition("data['__class__']", names) == "just a key"
    assert evaluate_condition("data['__globals__']", names) is None
    assert evaluate_condition("'x'['__class__']", names) is None


def test_template_cannot_build_huge_text():
    with pytest.raises(ConditionError, match="plain values"):
        render_template("{{ [[0] * 100] * 100 }}", {})
    with pytest.raises(ConditionError, match="longer than"):
        render_template("{{ 'ab' * 6000 }}", {})


def test_unknown_name_in_a_placeholder_points_at_it():
    with pytest.raises(ConditionError, match="unknown name 'os'") as caught:
        parse_template("Hi {{ os.environ }}", roots=GUARD_ROOTS)
    assert caught.value.position == len("Hi {{ ")


BIG = {
    "data": {
        "text": "x" * 10_000,
        "huge": "h" * 150_000,
        "rows": [{"id": i, "note": "n" * 90} for i in range(200)],
    }
}


@pytest.mark.parametrize(
    "expression",
    [
        "['a' * 10000] * 10000",  # 10 000 copies of one text: 100 MB once rendered
        "[data.text] * 10000",
        "[data.text] * 11",
        "[" + ", ".join(["data.text"] * 11) + "]",
        "['a' * 10000] * 5 + ['b' * 10000] * 6",
        "[data.rows, data.rows, data.rows, data.rows, data.rows]",
        "lower(data.huge)",  # a function's result is a value built, too
    ],
)
def test_expression_cannot_build_a_huge_value_out_of_shared_parts(expression):
    started = time.monotonic()
    with pytest.raises(ConditionError, match="larger than 100000 characters") as caught:
        evaluate_condition(expression, BIG)
    # Without data the part can only fail: it is refused already when parsed.
    expected = "condition_failed" if "data." in expression else "invalid_condition"
    assert caught.value.code == expected
    assert time.monotonic() - started < 0.5


def test_values_built_in_one_evaluation_are_charged_against_a_budget():
    # Each list is under the per-value cap; together they are over the evaluation's budget.
    expression = " + ".join(["len([data.text] * 9)"] * 12)
    with pytest.raises(ConditionError, match="builds more than") as caught:
        evaluate_condition(expression, BIG)
    assert caught.value.code == "condition_too_costly"
    assert evaluate_condition(" + ".join(["len([data.text] * 9)"] * 2), BIG) == 18


def test_template_output_is_capped_however_many_placeholders_repeat_a_value():
    text = " ".join(["{{ data.text }}"] * 11)
    with pytest.raises(ConditionError, match="rendered text would be longer than 100000"):
        render_template(text, BIG)
    with pytest.raises(ConditionError, match="larger than 100000"):
        render_template("{{ ['a' * 10000] * 10000 }}", {})
    assert len(render_template(" ".join(["{{ data.text }}"] * 9), BIG)) == 9 * 10_000 + 8


def test_large_value_read_from_the_data_is_capped_when_returned_but_not_as_a_guard():
    names = {"data": {"rows": ["r" * 1000] * 1100}}  # about 1.1 MB as JSON
    with pytest.raises(ConditionError, match="value is larger than 1000000"):
        evaluate_condition("data.rows", names)
    assert is_true("data.rows", names)
    assert evaluate_condition("len(data.rows)", names) == 1100


def test_ordinary_values_are_untouched_by_the_size_limits():
    assert len(evaluate_condition("['a' * 10000] * 9", {})) == 9
    assert evaluate_condition("data.rows[3].id", BIG) == 3
    assert render_template("{{ data.rows[0] }}", BIG) == '{"id":0,"note":"' + "n" * 90 + '"}'


def _node_classes(base=ast.AST):
    for cls in base.__subclasses__():
        yield cls
        yield from _node_classes(cls)


def test_no_problem_names_a_python_syntax_class():
    # Every part of Python's syntax, refused or not, is described in words ("RShift",
    # "ListComp" are the parser's names; "comprehension" is also an English word).
    for cls in set(_node_classes()):
        words = describe(ast.AST.__new__(cls))
        if cls.__name__[0].isupper():
            assert cls.__name__ not in words.split(), (cls.__name__, words)
        assert "'" not in words


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("data.x >> 2", "the operator >> is not allowed in a guard"),
        ("data.x << 2", "the operator << is not allowed in a guard"),
        ("data.x & 1", "the operator & is not allowed in a guard"),
        ("data.x | 1", "the operator | is not allowed in a guard"),
        ("data.x ^ 1", "the operator ^ is not allowed in a guard"),
        ("~data.x", "the operator ~ is not allowed in a guard"),
        ("data.x @ data.y", "the operator @ is not allowed in a guard"),
        ("[x for x in data.items]", "a comprehension ([... for ...]) is not allowed"),
        ("{'a': 1}", "a mapping literal ({...: ...}) is not allowed"),
        ("data.items[0:1]", "slicing ([a:b]) is not allowed"),
    ],
)
def test_refused_syntax_reads_in_the_guard_language_words_at_its_position(expression, words):
    with pytest.raises(ConditionError) as caught:
        parse_condition(expression)
    assert caught.value.message == words or caught.value.message.startswith(words)
    assert caught.value.position is not None
    assert not any(name in caught.value.message for name in ("RShift", "BinOp", "ListComp"))


def test_a_nul_character_is_named_as_such():
    with pytest.raises(ConditionError, match="NUL character"):
        parse_condition("data.x == '\x00'")


@pytest.mark.parametrize(
    ("expression", "points_at"),
    [
        ("data.total >> 2", ">> 2"),
        ("1 + (data.x << 2)", "<< 2"),
        ("data.__class__ == 1", "__class__"),
        ("  data.a._private", "_private"),
        ("~data.x", "~data"),
    ],
)
def test_a_refused_operator_or_field_is_located_where_it_stands(expression, points_at):
    with pytest.raises(ConditionError) as caught:
        parse_condition(expression)
    position = caught.value.position
    assert expression[position:].startswith(points_at), (position, expression[position:])
