"""Intrinsic functions give the results the States Language and the Step Functions
documentation give for their examples."""

import uuid

import pytest

from workflow_platform.definitions.asl.intrinsics import IntrinsicError, parse_call, run_call


def run(text, data=None):
    return run_call(parse_call(text), data or {})


def test_format_fills_placeholders_with_escapes():
    data = {"firstName": "John", "lastName": "Doe"}
    assert (
        run(r"States.Format('Welcome to {} {}\'s playlist.', $.firstName, $.lastName)", data)
        == "Welcome to John Doe's playlist."
    )
    assert run(r"States.Format('\{\} {}', 3)") == "{} 3"


def test_string_to_json_and_back():
    assert run("States.StringToJson($.s)", {"s": '{"number": 20}'}) == {"number": 20}
    assert run("States.JsonToString($.j)", {"j": {"name": "Foo", "year": 2020}}) == (
        '{"name":"Foo","year":2020}'
    )


def test_array_of_literals_paths_and_null():
    data = {"someJson": {"random": "abcdefg"}}
    assert run("States.Array('Foo', 2020, $.someJson, null)", data) == [
        "Foo",
        2020,
        {"random": "abcdefg"},
        None,
    ]


def test_math_add():
    assert run("States.MathAdd($.value1, $.step)", {"value1": 111, "step": -1}) == 110


def test_array_functions():
    data = {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9], "index": 5}
    assert run("States.ArrayPartition($.a, 4)", data) == [[1, 2, 3, 4], [5, 6, 7, 8], [9]]
    assert run("States.ArrayContains($.a, 5)", data) is True
    assert run("States.ArrayRange(1, 9, 2)") == [1, 3, 5, 7, 9]
    assert run("States.ArrayGetItem($.a, $.index)", data) == 6
    assert run("States.ArrayLength($.a)", data) == 9
    assert run("States.ArrayUnique($.u)", {"u": [1, 2, 3, 3, 3, 3, 3, 3, 4]}) == [1, 2, 3, 4]


def test_encoding_hash_split_merge():
    assert run("States.Base64Encode('Data to encode')") == "RGF0YSB0byBlbmNvZGU="
    assert run("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')") == "Data to encode"
    assert run("States.Hash('input data', 'SHA-1')") == "aaff4a450a104cd177d28d18d74485e8cae074b7"
    assert run("States.StringSplit('This.is+a,test=string', '.+,=')") == [
        "This",
        "is",
        "a",
        "test",
        "string",
    ]
    data = {"j1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "j2": {"a": {"a3": 1, "a4": 2}, "c": 3}}
    assert run("States.JsonMerge($.j1, $.j2, false)", data) == {
        "a": {"a3": 1, "a4": 2},
        "b": 2,
        "c": 3,
    }


def test_uuid_is_a_version_4_uuid():
    assert uuid.UUID(run("States.UUID()")).version == 4


def test_nested_calls():
    assert run("States.JsonToString(States.Array(1, 'x'))") == '[1,"x"]'


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("States.Foo(1)", "States.Foo: intrinsic not supported"),
        ("States.MathAdd(1)", "States.MathAdd takes 2 arguments, not 1"),
        ("States.Format('a', ", "cannot read"),
        ("States.UUID() x", "unexpected text"),
    ],
)
def test_bad_calls_are_refused_when_parsed(text, reason):
    with pytest.raises(IntrinsicError, match=reason):
        parse_call(text)


def test_bad_values_fail_when_run():
    with pytest.raises(IntrinsicError):
        run("States.MathAdd($.a, 1)", {"a": "x"})
    with pytest.raises(IntrinsicError):
        run("States.Format('{} {}', 1)")
