"""The ASL intrinsic functions (``States.Format('Hi {}', $.name)``): parse and run.

An intrinsic appears as the value of a ``.$`` key in ``Parameters`` or
``ResultSelector``. Its arguments are text literals in single quotes (``\\'``,
``\\{``, ``\\}`` and ``\\\\`` escape), numbers, ``true``/``false``/``null``, paths over
the state's input and nested intrinsics. :func:`parse_call` runs when a machine is
imported, so an unknown function or a wrong number of arguments is a located error
then; :func:`run_call` runs when the state does, and raises :class:`IntrinsicError`
(Step Functions' ``States.IntrinsicFailure``) for bad argument values.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import uuid
from dataclasses import dataclass
from typing import Any

from .paths import PathError, parse_path, select


class IntrinsicError(ValueError):
    """An intrinsic that does not parse, or one whose arguments do not fit it."""


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Any, ...]  # Literal | PathArg | Call


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class PathArg:
    path: str


_TOKEN = re.compile(
    r"\s*(?:(?P<text>'(?:[^'\\]|\\.)*')|(?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    r"|(?P<word>true|false|null)(?![\w.])|(?P<name>States\.[A-Za-z0-9]+)\s*\("
    r"|(?P<path>\$[^,()\s]*)|(?P<comma>,)|(?P<close>\)))"
)
MAX_DEPTH = 10


def is_intrinsic(text: Any) -> bool:
    return isinstance(text, str) and text.lstrip().startswith("States.")


def parse_call(text: str) -> Call:
    """The parsed intrinsic of ``text``; ``IntrinsicError`` with a reason otherwise."""
    position, call = _parse(text, 0, depth=0)
    if text[position:].strip():
        raise IntrinsicError(f"unexpected text after the call: '{text[position:].strip()}'")
    return call


def _parse(text: str, position: int, depth: int) -> tuple[int, Call]:
    if depth > MAX_DEPTH:
        raise IntrinsicError(f"intrinsics are nested more than {MAX_DEPTH} deep")
    match = _TOKEN.match(text, position)
    if not match or not match.group("name"):
        raise IntrinsicError(f"expected States.<Function>( at {position}")
    name = match.group("name")
    if name not in FUNCTIONS:
        raise IntrinsicError(f"{name}: intrinsic not supported")
    position = match.end()
    args: list[Any] = []
    expect_arg = True
    while True:
        match = _TOKEN.match(text, position)
        if not match:
            raise IntrinsicError(f"{name}: cannot read the arguments at {position}")
        if match.group("close") and (not args or not expect_arg):
            position = match.end()
            break
        if match.group("comma") and not expect_arg:
            expect_arg = True
            position = match.end()
            continue
        if not expect_arg:
            raise IntrinsicError(f"{name}: a ',' or ')' is missing at {match.start()}")
        if match.group("name"):
            position, inner = _parse(text, match.start(), depth + 1)
            args.append(inner)
        elif match.group("text") is not None:
            # \' and \\ are the text's own escapes; \{ and \} stay for States.Format.
            args.append(Literal(re.sub(r"\\(['\\])", r"\1", match.group("text")[1:-1])))
            position = match.end()
        elif match.group("number") is not None:
            number = match.group("number")
            args.append(Literal(float(number) if re.search(r"[.eE]", number) else int(number)))
            position = match.end()
        elif match.group("word") is not None:
            args.append(Literal({"true": True, "false": False, "null": None}[match.group("word")]))
            position = match.end()
        elif match.group("path") is not None:
            try:
                parse_path(match.group("path"))
            except PathError as error:
                raise IntrinsicError(f"{name}: {error}") from None
            args.append(PathArg(match.group("path")))
            position = match.end()
        else:
            raise IntrinsicError(f"{name}: an argument is missing at {match.start()}")
        expect_arg = False
    low, high = FUNCTIONS[name][1]
    if not low <= len(args) <= high:
        wanted = str(low) if low == high else f"{low} to {high if high < 99 else 'any'}"
        raise IntrinsicError(f"{name} takes {wanted} arguments, not {len(args)}")
    return position, Call(name, tuple(args))


def run_call(call: Call, data: Any) -> Any:
    """The value of ``call`` over the state's input ``data``."""
    values = []
    for arg in call.args:
        if isinstance(arg, Call):
            values.append(run_call(arg, data))
        elif isinstance(arg, PathArg):
            values.append(select(arg.path, data))
        else:
            values.append(arg.value)
    return FUNCTIONS[call.name][0](*values)


def _need(condition: bool, message: str) -> None:
    if not condition:
        raise IntrinsicError(message)


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _format(template: Any, *values: Any) -> str:
    _need(isinstance(template, str), "States.Format: the template must be text")
    out, index, i = [], 0, 0
    while i < len(template):
        char = template[i]
        if char == "\\" and template[i + 1 : i + 2] in ("{", "}"):
            out.append(template[i + 1])
            i += 2
            continue
        if template.startswith("{}", i):
            _need(index < len(values), "States.Format: more {} than arguments")
            value = values[index]
            _need(
                value is None or isinstance(value, str | int | float | bool),
                "States.Format: arguments must be text, numbers, booleans or null",
            )
            out.append("null" if value is None else _text_of(value))
            index += 1
            i += 2
            continue
        out.append(char)
        i += 1
    _need(index == len(values), "States.Format: more arguments than {}")
    return "".join(out)


def _string_to_json(text: Any) -> Any:
    _need(isinstance(text, str), "States.StringToJson: the argument must be text")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise IntrinsicError("States.StringToJson: the text is not JSON") from None


def _number(value: Any, name: str) -> int:
    _need(
        isinstance(value, int | float) and not isinstance(value, bool),
        f"{name}: arguments must be numbers",
    )
    _need(float(value).is_integer(), f"{name}: arguments must be whole numbers")
    return int(value)


def _math_add(a: Any, b: Any) -> int:
    return _number(a, "States.MathAdd") + _number(b, "States.MathAdd")


def _math_random(start: Any, end: Any, seed: Any = None) -> int:
    low, high = _number(start, "States.MathRandom"), _number(end, "States.MathRandom")
    _need(low < high, "States.MathRandom: the start must be below the end")
    generator = random.Random(seed) if seed is not None else random  # noqa: S311
    return generator.randrange(low, high)  # end exclusive, as Step Functions


def _array_partition(items: Any, size: Any) -> list:
    _need(isinstance(items, list), "States.ArrayPartition: the first argument is an array")
    chunk = _number(size, "States.ArrayPartition")
    _need(chunk > 0, "States.ArrayPartition: the chunk size must be positive")
    return [items[i : i + chunk] for i in range(0, len(items), chunk)]


def _array_contains(items: Any, value: Any) -> bool:
    _need(isinstance(items, list), "States.ArrayContains: the first argument is an array")
    return value in items


def _array_range(start: Any, end: Any, step: Any) -> list:
    low, high = _number(start, "States.ArrayRange"), _number(end, "States.ArrayRange")
    by = _number(step, "States.ArrayRange")
    _need(by != 0, "States.ArrayRange: the step cannot be 0")
    values = list(range(low, high + (1 if by > 0 else -1), by))
    _need(len(values) <= 1000, "States.ArrayRange: at most 1000 items")
    return values


def _array_get_item(items: Any, index: Any) -> Any:
    _need(isinstance(items, list), "States.ArrayGetItem: the first argument is an array")
    at = _number(index, "States.ArrayGetItem")
    _need(0 <= at < len(items), "States.ArrayGetItem: the index is out of range")
    return items[at]


def _array_length(items: Any) -> int:
    _need(isinstance(items, list), "States.ArrayLength: the argument is an array")
    return len(items)


def _array_unique(items: Any) -> list:
    _need(isinstance(items, list), "States.ArrayUnique: the argument is an array")
    unique: list = []
    for item in items:
        if item not in unique:
            unique.append(item)
    return unique


def _base64_encode(text: Any) -> str:
    _need(isinstance(text, str), "States.Base64Encode: the argument must be text")
    return base64.b64encode(text.encode()).decode()


def _base64_decode(text: Any) -> str:
    _need(isinstance(text, str), "States.Base64Decode: the argument must be text")
    try:
        return base64.b64decode(text, validate=True).decode()
    except ValueError:
        raise IntrinsicError("States.Base64Decode: the text is not base64 of UTF-8") from None


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384",
           "SHA-512": "sha512"}  # fmt: skip


def _hash(value: Any, algorithm: Any) -> str:
    _need(algorithm in _HASHES, f"States.Hash: the algorithm is one of {', '.join(_HASHES)}")
    _need(value is not None, "States.Hash: the value cannot be null")
    digest = hashlib.new(_HASHES[algorithm], usedforsecurity=False)
    digest.update(_text_of(value).encode())
    return digest.hexdigest()


def _json_merge(left: Any, right: Any, deep: Any) -> dict:
    _need(isinstance(left, dict) and isinstance(right, dict), "States.JsonMerge: two objects")
    _need(deep is False, "States.JsonMerge: only a shallow merge (false) is supported")
    return {**left, **right}


def _string_split(text: Any, separators: Any) -> list:
    _need(isinstance(text, str) and isinstance(separators, str), "States.StringSplit: text")
    if not separators:
        return [text]
    return [part for part in re.split("[" + re.escape(separators) + "]", text) if part]


FUNCTIONS: dict[str, tuple[Any, tuple[int, int]]] = {
    "States.Format": (_format, (1, 99)),
    "States.StringToJson": (_string_to_json, (1, 1)),
    "States.JsonToString": (_text_of, (1, 1)),
    "States.Array": (lambda *values: list(values), (0, 99)),
    "States.ArrayPartition": (_array_partition, (2, 2)),
    "States.ArrayContains": (_array_contains, (2, 2)),
    "States.ArrayRange": (_array_range, (3, 3)),
    "States.ArrayGetItem": (_array_get_item, (2, 2)),
    "States.ArrayLength": (_array_length, (1, 1)),
    "States.ArrayUnique": (_array_unique, (1, 1)),
    "States.Base64Encode": (_base64_encode, (1, 1)),
    "States.Base64Decode": (_base64_decode, (1, 1)),
    "States.Hash": (_hash, (2, 2)),
    "States.JsonMerge": (_json_merge, (3, 3)),
    "States.MathRandom": (_math_random, (2, 3)),
    "States.MathAdd": (_math_add, (2, 2)),
    "States.StringSplit": (_string_split, (2, 2)),
    "States.UUID": (lambda: str(uuid.uuid4()), (0, 0)),
}
