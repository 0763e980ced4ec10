"""The Amazon States Language's JSONPath subset: parse once, select, and set.

ASL names data with Paths (``$.order.items[0]``), a subset of JSONPath. A path is
parsed into steps: a child by name (``.name``, ``['name']``), an index (``[2]``,
``[-1]``), a wildcard (``.*``, ``[*]``), a slice (``[1:3]``), a union of names or
indexes (``['a','b']``, ``[0,2]``) and recursive descent (``..name``). A *definite*
path (only names and indexes) selects one value; any other selects the list of its
matches, as Step Functions does. A *reference path* (``ResultPath``) is definite and
may also say where to write. Filters (``[?(...)]``) and script expressions are refused
with :class:`PathError`, as is the context object (``$$``), which the engine does not
model. Our own implementation: no kept JSONPath library installs from the lock
(ADR 0016).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class PathError(ValueError):
    """A path that does not parse, or one that cannot select in the given data.

    ``runtime`` is True for the second kind (Step Functions' ``States.Runtime``).
    """

    def __init__(self, message: str, *, runtime: bool = False) -> None:
        super().__init__(message)
        self.runtime = runtime


@dataclass(frozen=True)
class Step:
    kind: str  # name | index | wildcard | slice | union | descend
    value: Any = None


_NAME = re.compile(r"[A-Za-z0-9_$@\-\u0080-\uffff]+")
_MAX_PATH = 2000


def parse_path(text: str) -> tuple[Step, ...]:
    """The steps of ``text``, a path starting with ``$``; ``PathError`` otherwise."""
    if not isinstance(text, str) or not text.startswith("$"):
        raise PathError(f"'{text}' is not a path (a path starts with '$')")
    if text.startswith("$$"):
        raise PathError(f"'{text}': the context object ($$) is not supported")
    if len(text) > _MAX_PATH:
        raise PathError(f"a path is at most {_MAX_PATH} characters")
    steps: list[Step] = []
    i = 1
    while i < len(text):
        char = text[i]
        if text.startswith("..", i):
            i += 2
            if i < len(text) and text[i] == "*":
                steps += [Step("descend"), Step("wildcard")]
                i += 1
                continue
            match = _NAME.match(text, i)
            if not match:
                raise PathError(f"'{text}': a name must follow '..' at {i}")
            steps += [Step("descend"), Step("name", match.group())]
            i = match.end()
        elif char == ".":
            i += 1
            if i < len(text) and text[i] == "*":
                steps.append(Step("wildcard"))
                i += 1
                continue
            match = _NAME.match(text, i)
            if not match:
                raise PathError(f"'{text}': a name must follow '.' at {i}")
            steps.append(Step("name", match.group()))
            i = match.end()
        elif char == "[":
            end = _closing_bracket(text, i)
            steps.append(_bracket(text, text[i + 1 : end].strip()))
            i = end + 1
        else:
            raise PathError(f"'{text}': unexpected '{char}' at {i}")
    return tuple(steps)


def _closing_bracket(text: str, start: int) -> int:
    quote = None
    i = start + 1
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "]":
            return i
        i += 1
    raise PathError(f"'{text}': '[' at {start} is never closed")


def _bracket(text: str, inner: str) -> Step:
    if inner.startswith("?") or inner.startswith("("):
        raise PathError(f"'{text}': filter and script expressions are not supported")
    if inner == "*":
        return Step("wildcard")
    parts = _split_union(inner)
    if len(parts) > 1:
        return Step("union", tuple(_key(text, part) for part in parts))
    if ":" in inner and inner[:1] not in "'\"":
        bounds = inner.split(":")
        if len(bounds) > 3:
            raise PathError(f"'{text}': bad slice [{inner}]")
        try:
            numbers = tuple(int(b) if b.strip() else None for b in bounds)
        except ValueError:
            raise PathError(f"'{text}': bad slice [{inner}]") from None
        if len(numbers) == 3 and numbers[2] == 0:
            raise PathError(f"'{text}': a slice's step cannot be 0")
        return Step("slice", numbers)
    key = _key(text, inner)
    return Step("index" if isinstance(key, int) else "name", key)


def _split_union(inner: str) -> list[str]:
    parts, current, quote = [], "", None
    for char in inner:
        if quote:
            current += char
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
            current += char
        elif char == ",":
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return parts


def _key(text: str, part: str) -> str | int:
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "'\"":
        return re.sub(r"\\(.)", r"\1", part[1:-1])
    try:
        return int(part)
    except ValueError:
        raise PathError(f"'{text}': [{part}] is neither a quoted name nor an index") from None


def is_definite(steps: tuple[Step, ...]) -> bool:
    return all(step.kind in ("name", "index") for step in steps)


def select(text: str, data: Any) -> Any:
    """What path ``text`` selects in ``data``: one value, or a list for an indefinite path.

    A definite path that matches nothing raises ``PathError(runtime=True)``.
    """
    steps = parse_path(text)
    if is_definite(steps):
        value = data
        for step in steps:
            value = _child(value, step.value, text)
        return value
    nodes = [data]
    for step in steps:
        nodes = [found for node in nodes for found in _apply(node, step)]
    return nodes


def _child(value: Any, key: str | int, text: str) -> Any:
    if isinstance(key, str) and isinstance(value, dict) and key in value:
        return value[key]
    if isinstance(key, int) and isinstance(value, list) and -len(value) <= key < len(value):
        return value[key]
    raise PathError(f"the path '{text}' matches nothing in the input", runtime=True)


def _apply(node: Any, step: Step) -> list[Any]:
    if step.kind == "name":
        return [node[step.value]] if isinstance(node, dict) and step.value in node else []
    if step.kind == "index":
        if isinstance(node, list) and -len(node) <= step.value < len(node):
            return [node[step.value]]
        return []
    if step.kind == "wildcard":
        if isinstance(node, dict):
            return list(node.values())
        return list(node) if isinstance(node, list) else []
    if step.kind == "slice":
        if not isinstance(node, list):
            return []
        return node[slice(*step.value)]
    if step.kind == "union":
        return [found for key in step.value for found in _apply(node, _keyed(key))]
    # descend: the node and everything below it, in document order
    found = [node]
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    for child in children:
        found.extend(_apply(child, step))
    return found


def _keyed(key: str | int) -> Step:
    return Step("index" if isinstance(key, int) else "name", key)


def check_reference_path(text: str) -> None:
    """``PathError`` unless ``text`` is a reference path (definite: names and indexes)."""
    if not is_definite(parse_path(text)):
        raise PathError(f"'{text}' is not a reference path (no wildcards, slices or '..')")


def put(data: Any, text: str, value: Any) -> Any:
    """A copy of ``data`` with ``value`` at reference path ``text`` (ASL ``ResultPath``).

    Missing objects on the way are created; a step through something that is not an
    object (or a list, by index) raises ``PathError(runtime=True)``.
    """
    steps = parse_path(text)
    if not steps:
        return value
    return _put(data, steps, value, text)


def _put(node: Any, steps: tuple[Step, ...], value: Any, text: str) -> Any:
    step, rest = steps[0], steps[1:]
    if step.kind == "name" and isinstance(node, dict):
        copy = dict(node)
        copy[step.value] = _put(node.get(step.value, {}), rest, value, text) if rest else value
        return copy
    if step.kind == "index" and isinstance(node, list) and -len(node) <= step.value < len(node):
        items = list(node)
        items[step.value] = _put(items[step.value], rest, value, text) if rest else value
        return items
    raise PathError(
        f"the result cannot be put at '{text}': the input has no object there", runtime=True
    )


def data_expression(text: str) -> str | None:
    """The guard-language spelling of a definite path over ``data`` (None if it has none).

    Used for timers: ``$.order.ship_by`` is ``data.order.ship_by``, other keys are
    subscripted (``data['a b']``).
    """
    steps = parse_path(text)
    if not is_definite(steps):
        return None
    parts = ["data"]
    for step in steps:
        if isinstance(step.value, int):
            parts.append(f"[{step.value}]")
        elif re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", step.value) and step.value not in _KEYWORDS:
            parts.append(f".{step.value}")
        elif "'" not in step.value and "\\" not in step.value:
            parts.append(f"['{step.value}']")
        else:
            return None
    return "".join(parts)


_KEYWORDS = {"and", "or", "not", "in", "is", "if", "else", "None", "True", "False"}
