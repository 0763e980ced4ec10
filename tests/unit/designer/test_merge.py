"""Merging a draft that someone else saved meanwhile keeps both people's work."""

from designer.merge import merge_documents


def doc(states, transitions=(), initial="a"):
    return {
        "key": "k",
        "initial": initial,
        "states": [{"name": n} for n in states],
        "transitions": list(transitions),
        "actions": {},
        "dependencies": {},
    }


def test_states_added_on_both_sides_are_both_kept():
    base = doc(["a"])
    merged, clashes = merge_documents(base, doc(["a", "mine"]), doc(["a", "theirs"]))
    assert [s["name"] for s in merged["states"]] == ["a", "theirs", "mine"]
    assert clashes == []


def test_my_deletion_applies_when_they_left_the_state_alone():
    base = doc(["a", "b"])
    merged, _ = merge_documents(base, doc(["a"]), doc(["a", "b", "c"]))
    assert [s["name"] for s in merged["states"]] == ["a", "c"]


def test_both_changing_one_state_keeps_theirs_and_reports_the_clash():
    base = doc(["a"])
    mine = doc(["a"])
    mine["states"][0]["label"] = "Mine"
    theirs = doc(["a"])
    theirs["states"][0]["label"] = "Theirs"
    merged, clashes = merge_documents(base, mine, theirs)
    assert merged["states"][0]["label"] == "Theirs"
    assert clashes == ["state 'a' was changed on both sides; kept theirs."]


def test_transitions_added_on_both_sides_are_both_kept():
    base = doc(["a", "b"])
    mine = doc(["a", "b"], [{"from": "a", "to": "b", "on": "go"}])
    theirs = doc(["a", "b"], [{"from": "b", "to": "a", "on": "back"}])
    merged, clashes = merge_documents(base, mine, theirs)
    assert {(t["from"], t["to"]) for t in merged["transitions"]} == {("a", "b"), ("b", "a")}
    assert clashes == []


def test_my_new_initial_state_wins_when_they_did_not_change_it():
    base = doc(["a", "b"])
    merged, _ = merge_documents(base, doc(["a", "b"], initial="b"), doc(["a", "b", "c"]))
    assert merged["initial"] == "b"


def test_two_transitions_with_one_trigger_between_the_same_states_are_both_kept():
    base = doc(["a", "b"])
    small = {"from": "a", "to": "b", "on": "decide", "when": "data.amount <= 10"}
    large = {"from": "a", "to": "b", "on": "decide", "when": "data.amount > 10"}
    mine = doc(["a", "b"], [small, large])
    merged, clashes = merge_documents(base, mine, doc(["a", "b", "c"]))
    assert merged["transitions"] == [small, large]
    assert clashes == []


def test_their_change_to_the_second_of_two_alike_transitions_is_kept():
    first = {"from": "a", "to": "b", "on": "decide", "when": "data.x"}
    second = {"from": "a", "to": "b", "on": "decide", "when": "data.y"}
    base = doc(["a", "b"], [first, second])
    theirs = doc(["a", "b"], [first, {**second, "when": "data.z"}])
    merged, clashes = merge_documents(base, doc(["a", "b"], [first, second]), theirs)
    assert merged["transitions"] == [first, {**second, "when": "data.z"}]
    assert clashes == []


def test_both_changing_the_second_alike_transition_names_it_in_the_clash():
    first = {"from": "a", "to": "b", "on": "go"}
    second = {"from": "a", "to": "b", "on": "go", "when": "data.y"}
    base = doc(["a", "b"], [first, second])
    mine = doc(["a", "b"], [first, {**second, "when": "data.mine"}])
    theirs = doc(["a", "b"], [first, {**second, "when": "data.theirs"}])
    merged, clashes = merge_documents(base, mine, theirs)
    assert merged["transitions"][1]["when"] == "data.theirs"
    assert clashes == ["transition 'a→b:go (2nd)' was changed on both sides; kept theirs."]
