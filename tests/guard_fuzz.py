"""A fuzzer for the guard language: generated hostile expressions, parsed and evaluated.

Used by the bounded run in ``./test`` (tests/unit/definitions/test_guard_fuzz.py) and by
the long one (``bench/guard_fuzz.py``, 100 000 expressions and more). Each expression is
built from a seeded random grammar that mixes what the language allows with what an
attacker would try: dunder attributes, builtins and imports, methods, comprehensions,
lambdas, f-strings, walrus, bit operators, huge powers and repetitions, deep nesting,
NUL characters and lone surrogates, very long texts and numbers, and byte-level
mutations of the result. Every expression is parsed with the guard roots and, when it
parses, evaluated over data that holds a trap object; the run records:

- a *crash*: any exception other than ``ConditionError`` (the one documented error);
- a *slow* evaluation: parse plus evaluation over 100 ms of CPU time (the thread's own
  time, with the garbage collector paused during the check and run between checks: on a
  shared machine wall time also counts other processes; it is reported too);
- an *escape*: a result that is not a plain value (a function, a type, a module, the
  trap), a result holding the trap's secret, or the trap asked for a public attribute.
"""

from __future__ import annotations

import gc
import random
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from workflow_platform.definitions.conditions import (
    GUARD_ROOTS,
    ConditionError,
    evaluate_condition,
    parse_condition,
    render_template,
)

SLOW_SECONDS = 0.1
SECRET = "hunter2-never-seen"


class Trap:
    """Stands in for any Python object that could end up in an expression's names."""

    asked: list[str] = []  # public attributes someone looked up: must stay empty

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("__"):
            Trap.asked.append(name)
        return object.__getattribute__(self, name)

    password = SECRET

    def method(self) -> str:
        return SECRET


def names() -> dict[str, Any]:
    return {
        "data": {
            "total": 150,
            "country": "DE",
            "text": "x" * 5_000,
            "big": 2**52,
            "neg": -7,
            "zero": 0,
            "f": 2.5,
            "items": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 1}],
            "rows": list(range(3_000)),
            "tags": ["vip", "early"],
            "nested": {"a": {"b": {"c": [1, 2, {"d": None}]}}},
            "when": "2026-12-01T10:00:00Z",
            "obj": Trap(),
        },
        "event": {"approved": True, "amount": 10**15},
        "result": {"status": 200, "body": "ok"},
        "item": [1, "two", None],
    }


_PLAIN = (type(None), bool, int, float, str, datetime, timedelta)


def _plain(value: Any, depth: int = 0) -> bool:
    if depth > 40:
        return False
    if type(value) is Trap:
        return True  # handed over as it was given in the data; never looked into
    if isinstance(value, _PLAIN):
        return not (isinstance(value, str) and SECRET in value)
    if isinstance(value, list | tuple):
        return all(_plain(v, depth + 1) for v in value)
    if isinstance(value, Mapping) and type(value) is dict:
        return all(_plain(k, depth + 1) and _plain(v, depth + 1) for k, v in value.items())
    return False  # a Trap, a function, a type, a module...


# Pieces of the grammar ------------------------------------------------------------
_FUNCTIONS = [
    "len", "lower", "upper", "contains", "startswith", "endswith", "abs", "min", "max",
    "sum", "round", "int", "float", "str", "bool", "now", "timestamp", "duration",
]  # fmt: skip
_HOSTILE_CALLS = [
    "eval", "exec", "open", "getattr", "setattr", "__import__", "globals", "locals",
    "vars", "type", "compile", "breakpoint", "input", "print", "object", "id", "dir",
    "help", "memoryview", "bytearray", "iter", "next", "range", "map", "filter",
]  # fmt: skip
_HOSTILE_ATTRS = [
    "__class__", "__dict__", "__globals__", "__builtins__", "__mro__", "__subclasses__",
    "__init__", "__code__", "__reduce__", "_private", "mro", "format", "get", "keys",
    "items", "pop", "append", "password", "method", "__getattribute__", "f_globals",
    "gi_frame", "__self__", "real", "imag", "decode",
]  # fmt: skip
_PATHS = [
    "data.total", "data.country", "data.text", "data.big", "data.neg", "data.zero",
    "data.f", "data.items", "data.items[0].qty", "data.rows", "data.tags", "data.missing",
    "data.nested.a.b.c[2].d", "data['when']", "data.obj", "data.obj.password",
    "event.approved", "event.amount", "result.status", "result.body", "item[1]", "item",
]  # fmt: skip
_OPERATORS = ["+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^", "@"]
_COMPARES = ["==", "!=", "<", "<=", ">", ">=", "in", "not in", "is", "is not"]
_STRINGS = [
    "''", "'a'", "'de'", "'\\x00'", "'\\ud800'", "'\\udfff'", "'\U0001f600'", "'%s'",
    "'{}'", "'1e309'", "'nan'", "'inf'", "'-0'", "'9' * 5000", "'1h'", "'1e308d'",
    "'2026-12-01T10:00Z'", "'__class__'", "'\\\\'", "'\"'",
]  # fmt: skip
_NUMBERS = [
    "0", "1", "-1", "2", "3", "7", "64", "65", "255", "256", "1000", "10000", "10001",
    "2**53", "9007199254740993", "1e308", "1e309", "-1e309", "1e-400", "0.1", "2.5",
    "10**10**10", "9**9**9", "2**64", "2**63 - 1", "10**6", "10**9", "(-8) ** 0.5",
    "float('nan')", "float('inf')", "-0.0", "1" + "0" * 400, "0x10", "0b101", "1_000",
]  # fmt: skip
_RAW_HOSTILE = [
    "().__class__.__bases__[0].__subclasses__()",
    "data.__class__.__mro__[1].__subclasses__()",
    "[x for x in data.rows]",
    "{k: 1 for k in data}",
    "lambda: 1",
    "(y := 3)",
    "f'{data}'",
    "f'{data.__class__}'",
    "{'a': 1}",
    "{1, 2}",
    "data.items[0:1]",
    "data.rows[::-1]",
    "b'bytes'",
    "1j",
    "len(*data.items)",
    "max(data.items, key=len)",
    "import os",
    "__import__('os').system('true')",
    "data.total = 3",
    "yield 1",
    "await data",
    "...",
    "data.obj.method()",
    "(lambda: 0).__code__",
    "'a'.join(data.tags)",
    "'{0.__class__}'.format(data)",
    "__builtins__",
    "data['__class__']",
    "getattr(data, 'obj')",
]
_ARITY = {"now": (0,), "contains": (2,), "startswith": (2,), "endswith": (2,), "round": (1, 2)}
_ARITY.update({"min": (1, 2, 3), "max": (1, 2, 3)})
_MAX_SIZE = 600  # a little over the length limit, so the limit itself is exercised


def _atom(rng: random.Random, hostile: bool) -> str:
    pick = rng.random() if hostile else rng.random() * 0.6
    if not hostile and pick >= 0.45:
        pick = rng.choice((0.7, 0.85, 0.95))  # lists, attributes of data, subscripts
    if pick < 0.25:
        return rng.choice(_PATHS)
    if pick < 0.45:
        return rng.choice(_NUMBERS)
    if pick < 0.6:
        return rng.choice(_STRINGS)
    if pick < 0.65:
        return rng.choice(["true", "false", "null", "True", "None", "not_a_root", "len"])
    if pick < 0.7:
        return rng.choice(_RAW_HOSTILE)
    if pick < 0.8:
        return f"[{', '.join(rng.choice(_PATHS + _NUMBERS) for _ in range(rng.randint(0, 4)))}]"
    if pick < 0.9:
        attribute = rng.choice(_HOSTILE_ATTRS if hostile else ["a", "b", "qty", "sku", "x"])
        return f"{rng.choice(_PATHS)}.{attribute}"
    return f"{rng.choice(_PATHS)}[{rng.choice(_NUMBERS + _STRINGS)}]"


def expression(rng: random.Random, depth: int = 0, *, hostile: bool = True) -> str:
    """One generated expression: ``hostile`` mixes in what the language refuses."""
    if depth > rng.choice((1, 2, 3, 4, 6) if hostile else (0, 1, 2, 3)):
        return _atom(rng, hostile)
    pick = rng.random()
    sub = lambda: expression(rng, depth + 1, hostile=hostile)  # noqa: E731
    if pick < 0.25:
        operators = _OPERATORS if hostile else _OPERATORS[:7]
        return f"{sub()} {rng.choice(operators)} {sub()}"
    if pick < 0.4:
        compare = rng.choice(_COMPARES if hostile else _COMPARES[:8])
        right = sub() if hostile or not compare.startswith("is") else "None"
        return f"{sub()} {compare} {right}"
    if pick < 0.5:
        return f"{sub()} {rng.choice(['and', 'or'])} {sub()}"
    if pick < 0.55:
        return f"{rng.choice(['not ', '-', '+', '~'] if hostile else ['not ', '-', '+'])}{sub()}"
    if pick < 0.7:
        if hostile and rng.random() < 0.15:
            name = rng.choice(_HOSTILE_CALLS)
        else:
            name = rng.choice(_FUNCTIONS)
        arity = (0, 1, 1, 2, 2, 3) if hostile else _ARITY.get(name, (1,))
        args = ", ".join(sub() for _ in range(rng.choice(arity)))
        return f"{name}({args})"
    if pick < 0.75:
        return f"{sub()} if {sub()} else {sub()}"
    if pick < 0.8:
        return f"({sub()})"
    if pick < 0.85:
        return f"[{sub()}] * {rng.choice(_NUMBERS)}"
    if pick < 0.9:
        return f"{sub()}[{sub()}]"
    return _atom(rng, hostile)


def _mutate(rng: random.Random, text: str) -> str:
    """Byte-level damage: what a fuzzer without a grammar would send."""
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        position = rng.randint(0, len(chars))
        action = rng.random()
        if action < 0.4:
            chars.insert(position, rng.choice("()[]{}'\".,:;*_\\ \n\t\x00\ud800#@$`!=<>"))
        elif action < 0.7 and chars:
            del chars[min(position, len(chars) - 1)]
        elif chars:
            chars[min(position, len(chars) - 1)] = chr(rng.randint(0, 0x10FFFF))
    return "".join(chars)


def _nested(rng: random.Random) -> str:
    depth = rng.randint(20, 300)
    opener, closer = rng.choice([("(", ")"), ("[", "]"), ("not ", ""), ("-", ""), ("len(", ")")])
    return opener * depth + rng.choice(_PATHS) + closer * depth


def generate(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.05:
        return _nested(rng)
    if pick < 0.07:
        return rng.choice(_PATHS) + " + " * rng.randint(50, 300) + "1"
    if pick < 0.55:
        return expression(rng, hostile=False)  # mostly valid: exercises evaluation
    text = expression(rng)
    if pick < 0.75:
        text = _mutate(rng, text)
    return text[: rng.choice((_MAX_SIZE, _MAX_SIZE, 10_000))]


@dataclass
class Report:
    count: int = 0
    parsed: int = 0
    evaluated: int = 0  # evaluations that returned a value
    templates: int = 0
    max_seconds: float = 0.0  # CPU time of the checking thread
    max_wall_seconds: float = 0.0
    slowest: str = ""
    outcomes: Counter = field(default_factory=Counter)  # ok / error code
    reasons: Counter = field(default_factory=Counter)  # error message shapes
    crashes: list[tuple[str, str]] = field(default_factory=list)
    slow: list[tuple[str, float]] = field(default_factory=list)
    escapes: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "parsed": self.parsed,
            "evaluated": self.evaluated,
            "templates": self.templates,
            "max_ms": round(self.max_seconds * 1000, 2),
            "max_wall_ms": round(self.max_wall_seconds * 1000, 2),
            "slowest": self.slowest[:120],
            "outcomes": dict(self.outcomes.most_common()),
            "top_reasons": dict(self.reasons.most_common(15)),
            "crashes": self.crashes[:20],
            "slow": self.slow[:20],
            "escapes": self.escapes[:20],
        }


def _shape(message: str) -> str:
    """A message without its particulars, to count errors by kind."""
    words = []
    for word in message.split():
        if any(c.isdigit() for c in word) or "'" in word or '"' in word:
            word = "…"
        words.append(word)
    return " ".join(words[:8])


def check_one(
    text: str, report: Report, values: dict[str, Any], *, as_template: bool = False
) -> None:
    report.count += 1
    Trap.asked.clear()
    gc.disable()  # a collection's pause belongs to the whole process, not to this check
    started, wall = time.thread_time(), time.perf_counter()
    outcome = "ok"
    try:
        if as_template:
            report.templates += 1
            value: Any = render_template("Order {{ " + text + " }} now", values)
        else:
            condition = parse_condition(text, roots=GUARD_ROOTS)
            report.parsed += 1
            value = evaluate_condition(condition, values)
            report.evaluated += 1
        if not _plain(value):
            report.escapes.append((text, f"result {type(value).__name__}"))
    except ConditionError as error:
        outcome = error.code
        report.reasons[f"{error.code}: {_shape(error.message)}"] += 1
    except Exception as error:  # a crash is what the fuzzer looks for
        outcome = "crash"
        report.crashes.append((text, f"{type(error).__name__}: {error}"[:300]))
    elapsed = time.thread_time() - started
    report.max_wall_seconds = max(report.max_wall_seconds, time.perf_counter() - wall)
    gc.enable()
    report.outcomes[outcome] += 1
    if Trap.asked:
        report.escapes.append((text, f"asked the trap for {sorted(set(Trap.asked))}"))
    if elapsed > report.max_seconds:
        report.max_seconds, report.slowest = elapsed, text
    if elapsed > SLOW_SECONDS:
        report.slow.append((text, elapsed))


def run(count: int, seed: int = 19) -> Report:
    """Generate and check ``count`` expressions (one in ten also as a placeholder)."""
    rng = random.Random(seed)
    report = Report()
    values = names()  # evaluation never changes its names
    for index in range(count):
        text = generate(rng)
        check_one(text, report, values, as_template=index % 10 == 9)
        if index % 1000 == 999:
            gc.collect()  # between checks, outside the measured time
    return report
