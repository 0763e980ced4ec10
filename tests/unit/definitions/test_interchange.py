"""Import refuses unsafe or ambiguous text clearly; the diff names what changed."""

from __future__ import annotations

import copy

import pytest

from workflow_platform.definitions.diff import diff_documents
from workflow_platform.definitions.interchange import export_text, import_text
from workflow_platform.errors import InvalidInput


def test_json_export_is_canonical_and_readable(document):
    text = export_text(document)
    assert text.startswith('{\n  "format": "workflow-island/v1",\n  "key": "order",')
    # Actions are sorted by name; a transition's fields come in the documented order.
    actions = text[text.index('"actions"') :]
    names = [actions.index(f'"{name}": {{') for name in ("charge", "check_payment", "refund")]
    assert names == sorted(names)
    assert '"from": "received",\n      "to": "review",\n      "when"' in text


@pytest.mark.parametrize(
    ("text", "fmt", "code"),
    [
        ("{not json", "json", "invalid_json"),
        ('{"key": "a", "key": "b"}', "json", "invalid_json"),
        ('{"x": NaN}', "json", "invalid_json"),
        ("[1, 2]", "json", "not_an_object"),
        ("key: [unclosed", "yaml", "invalid_yaml"),
        ("key: a\nkey: b\n", "yaml", "invalid_yaml"),
        ("a: &x [1]\nb: *x\n", "yaml", "invalid_yaml"),
        ("1: one\n", "yaml", "invalid_yaml"),
        ("x: !!binary aGVsbG8=\n", "yaml", "invalid_yaml"),
        ("x: !!python/object:os.system {}\n", "yaml", "invalid_yaml"),
        ('{"x": 1e-400}', "json", "invalid_json"),
        ('{"x": -2.5e-999}', "json", "invalid_json"),
        ('{"x": 1e309}', "json", "invalid_json"),
        ("x: 1.0e-400\n", "yaml", "invalid_yaml"),
        ("- a\n- b\n", "yaml", "not_an_object"),
        ("{}", "xml", "unknown_format"),
    ],
)
def test_bad_text_is_refused_with_a_clear_code(text, fmt, code):
    with pytest.raises(InvalidInput) as caught:
        import_text(text, fmt)
    assert caught.value.code == code
    assert caught.value.message


@pytest.mark.parametrize("tag", ["!!python/object:os.system", "!include", "!!js/function"])
def test_a_yaml_tag_is_refused_in_the_readers_words_not_pyyamls(tag):
    with pytest.raises(InvalidInput) as caught:
        import_text(f"x: {tag} {{}}\n", "yaml")
    assert f"the tag '{tag}' is not allowed" in caught.value.message
    assert "constructor" not in caught.value.message


@pytest.mark.parametrize("text", ['{"x": 0.0}', '{"x": -0e5}', '{"x": 5e-324}', "x: 0.000\n"])
def test_a_true_zero_and_the_smallest_double_still_read(text):
    assert import_text(text, "yaml" if text.startswith("x:") else "json")["x"] in (0.0, 5e-324)


def test_yaml_booleans_are_yaml_1_2s_so_a_hand_written_on_is_the_trigger():
    text = "transitions:\n- {from: a, to: b, on: approve}\nflags: [yes, no, off, true, False]\n"
    document = import_text(text, "yaml")
    assert document["transitions"] == [{"from": "a", "to": "b", "on": "approve"}]
    assert document["flags"] == ["yes", "no", "off", True, False]
    assert import_text(export_text(document, "yaml"), "yaml") == document


def test_billion_laughs_yaml_is_refused_before_expanding():
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    with pytest.raises(InvalidInput, match="aliases are not allowed"):
        import_text("\n".join(lines), "yaml")


def test_yaml_dates_stay_text():
    assert import_text("key: x\nwhen: 2026-01-01\n", "yaml")["when"] == "2026-01-01"


def test_too_large_text_is_refused_before_parsing():
    with pytest.raises(InvalidInput) as caught:
        import_text('{"description": "' + "x" * 600_000 + '"}')
    assert caught.value.code == "text_too_large"


def test_diff_lists_added_removed_and_changed_parts(document):
    new = copy.deepcopy(document)
    new["states"].append({"name": "archived", "kind": "final"})
    new["states"] = [s for s in new["states"] if s["name"] != "shipped"]
    new["states"][1]["task"]["due"] = "2h"
    new["transitions"][2]["when"] = "data.ok"
    new["transitions"].append({"from": "review", "to": "archived", "on": "archive"})
    new["transitions"] = [t for t in new["transitions"] if t.get("on") != "joined"]
    del new["actions"]["refund"]
    new["actions"]["charge"]["timeout"] = "10s"
    new["actions"]["notify_customer"] = {"type": "notify", "params": {"message": "hi"}}
    new["name"] = "Orders"
    diff = diff_documents(document, new).as_dict()
    assert diff["states"]["added"] == ["archived"]
    assert diff["states"]["removed"] == ["shipped"]
    assert [(c["name"], c["fields"]) for c in diff["states"]["changed"]] == [("review", ["task"])]
    assert [t["key"] for t in diff["transitions"]["added"]] == ["review→archived:archive"]
    assert [t["key"] for t in diff["transitions"]["removed"]] == ["packing→shipped:joined"]
    assert [(c["key"], c["fields"]) for c in diff["transitions"]["changed"]] == [
        ("review→paying:approve", ["when"])
    ]
    assert diff["actions"]["added"] == ["notify_customer"]
    assert diff["actions"]["removed"] == ["refund"]
    assert [(c["name"], c["fields"]) for c in diff["actions"]["changed"]] == [
        ("charge", ["timeout"])
    ]
    assert diff["document"]["changed"] == ["name"]
