"""A bounded guard-language fuzz run in ./test (bench/guard_fuzz.py runs 100 000 and more).

Generated hostile expressions (tests/guard_fuzz.py) are parsed and evaluated: the only
error is ConditionError, no check takes over 100 ms, and no attribute or builtin is
ever reached.
"""

from __future__ import annotations

import os

from tests.guard_fuzz import SLOW_SECONDS, run

COUNT = int(os.environ.get("GUARD_FUZZ_COUNT", "3000"))


def test_generated_expressions_only_ever_raise_the_documented_error_quickly():
    report = run(COUNT, seed=int(os.environ.get("GUARD_FUZZ_SEED", "19")))
    assert report.count == COUNT
    assert report.crashes == []
    assert report.slow == [], f"over {SLOW_SECONDS * 1000:.0f} ms"
    assert report.max_seconds < SLOW_SECONDS
    assert report.escapes == []
    # The corpus reaches the interpreter, not only the parser's refusals.
    assert report.parsed > COUNT // 5
    assert report.outcomes["ok"] > COUNT // 10
    assert {"ok", "invalid_condition", "condition_failed"} <= set(report.outcomes)


def test_the_fuzzer_notices_an_escape_a_crash_and_a_result_that_is_not_plain():
    # The checks above only mean something if the fuzzer can see what it looks for.
    from tests.guard_fuzz import SECRET, Report, Trap, check_one, names

    values = names()
    report = Report()
    check_one("data.obj", report, values)
    assert report.escapes == []  # the trap handed back as given: not looked into
    _ = Trap().password  # what an escape through an attribute would do
    assert Trap.asked == ["password"]
    values["data"]["leak"] = SECRET
    check_one("data.leak", report, values)
    assert report.escapes and "result str" in report.escapes[0][1]
    values["data"]["leak"] = len
    check_one("data.leak", report, values)
    assert report.escapes[-1][1] == "result builtin_function_or_method"
