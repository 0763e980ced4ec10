"""The guard language: safe expressions over an instance's data, never ``eval``.

Guards (``when``), timer times (``at``), fan-out lists (``map_over``) and the
``{{ ... }}`` placeholders of titles, URLs and bodies are small expressions such as
``data.total >= 100 and lower(data.country) in ["de", "at"]``. Python's own parser reads
them (``ast.parse``), and a tiny interpreter walks a whitelisted subset of the tree:
literals, the provided root names, key/index access on dicts and lists (a missing key is
``None``; Python attributes are never touched), comparisons, ``and``/``or``/``not``,
arithmetic, ``in`` and a handful of functions. Size, nesting and work are bounded, so a
hostile guard is refused when parsed or cut off when evaluated: every text, list or
function result an expression builds is measured as it would be rendered (a shared part
counts each time it appears) against a per-value cap and a per-evaluation budget, and so
is the value an evaluation returns and the text a template renders. The language is
described in docs/definition-format.md ("Guard language").
"""

from __future__ import annotations

import ast
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .condition_values import (
    ARITHMETIC,
    FUNCTIONS,
    MAX_INT_BITS,
    MAX_SEQUENCE,
    MAX_TOTAL_SIZE,
    MAX_VALUE_SIZE,
    SYMBOLS,
    ConditionError,
    arithmetic_ok,
    format_value,
    is_number,
    kind,
    lookup,
    size_of,
)

__all__ = [
    "GUARD_ROOTS",
    "Condition",
    "ConditionError",
    "evaluate_condition",
    "format_value",
    "is_true",
    "parse_condition",
    "parse_template",
    "render_template",
]

MAX_LENGTH = 500  # characters of one expression
MAX_NODES = 200  # syntax tree nodes of one expression
MAX_DEPTH = 32  # nesting of the syntax tree
MAX_STEPS = 10_000  # evaluation budget: one per node, plus the size of what builtins walk
MAX_SECONDS = 0.5  # wall-clock backstop of one evaluation (steps are the real bound)
MAX_TEMPLATE_LENGTH = 10_000
MAX_PLACEHOLDERS = 50

# Roots a definition's expressions may use; the engine provides their values.
GUARD_ROOTS = ("data", "event", "result", "item")
# JSON spellings, for people who write definitions in JSON.
_CONSTANT_NAMES = {"true": True, "false": False, "null": None}


@dataclass(frozen=True, eq=False)
class Condition:
    """A parsed, checked expression; evaluate it any number of times."""

    text: str
    tree: ast.Expression

    def names(self) -> set[str]:
        """Root names the expression reads (``data``, ``event``, ...)."""
        return {
            n.id
            for n in ast.walk(self.tree)
            if isinstance(n, ast.Name) and n.id not in FUNCTIONS and n.id not in _CONSTANT_NAMES
        }


_BOOL_OPS = (ast.And, ast.Or)
_UNARY_OPS = (ast.Not, ast.USub, ast.UAdd)
_BIN_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_CMP_OPS = (
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
)
_ALLOWED_NODES = (
    ast.Expression,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Attribute,
    ast.Subscript,
    ast.Compare,
    ast.BoolOp,
    ast.UnaryOp,
    ast.BinOp,
    ast.Call,
    ast.List,
    ast.Tuple,
    ast.IfExp,
    *_BOOL_OPS,
    *_UNARY_OPS,
    *_BIN_OPS,
    *_CMP_OPS,
)


def _offset(text: str, node: ast.AST) -> int | None:
    """Character offset of ``node`` in ``text`` (the parser reports line and UTF-8 column)."""
    line = getattr(node, "lineno", None)
    col = getattr(node, "col_offset", None)
    if line is None or col is None:
        return None
    lines = text.split("\n")
    before = sum(len(part) + 1 for part in lines[: line - 1])
    return before + len(lines[line - 1].encode()[:col].decode(errors="ignore"))


def parse_condition(text: str, *, roots: tuple[str, ...] | None = None) -> Condition:
    """Parse and check ``text``; with ``roots``, only those root names may appear.

    Raises :class:`ConditionError` with the reason and position.
    """
    if not isinstance(text, str):
        raise ConditionError("an expression must be text")
    condition = _parse_cached(text)
    if roots is not None:
        for node in ast.walk(condition.tree):
            if (
                isinstance(node, ast.Name)
                and node.id not in roots
                and node.id not in FUNCTIONS
                and node.id not in _CONSTANT_NAMES
            ):
                lead = len(text) - len(text.lstrip())
                where = _offset(condition.text, node)
                raise ConditionError(
                    f"unknown name '{node.id}': use {', '.join(roots)}",
                    None if where is None else where + lead,
                )
    return condition


@lru_cache(maxsize=2048)
def _parse_cached(text: str) -> Condition:
    if not text.strip():
        raise ConditionError("the expression is empty", 0)
    if len(text) > MAX_LENGTH:
        raise ConditionError(
            f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}", MAX_LENGTH
        )
    # Positions are reported in the text as written; the parser sees it without the
    # surrounding blanks (eval mode refuses leading indentation).
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        # The parser reports offset 0 when the text ends too early.
        offset = exc.offset - 1 if exc.offset else len(stripped)
        position = offset + lead
        raise ConditionError(f"syntax error: {exc.msg}", position) from None
    except (RecursionError, MemoryError, ValueError):
        raise ConditionError("the expression is nested too deeply") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ConditionError(f"the expression is too complex (more than {MAX_NODES} parts)")
    try:
        _check(stripped, tree, 0)
    except ConditionError as exc:
        position = None if exc.position is None else exc.position + lead
        raise ConditionError(exc.message, position) from None
    return Condition(text=stripped, tree=tree)


def _check(text: str, node: ast.AST, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ConditionError(
            f"the expression is nested more than {MAX_DEPTH} levels", _offset(text, node)
        )
    where = _offset(text, node)
    if not isinstance(node, _ALLOWED_NODES):
        raise ConditionError(f"{_describe(node)} is not allowed in an expression", where)
    if isinstance(node, ast.Constant) and not isinstance(
        node.value, str | int | float | bool | type(None)
    ):
        raise ConditionError("only text, numbers, true, false and null are literals", where)
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        raise ConditionError("names starting with '_' are not allowed", where)
    if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
        raise ConditionError("fields starting with '_' are not allowed after '.'", where)
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise ConditionError(
                f"only these functions can be called: {', '.join(sorted(FUNCTIONS))}", where
            )
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise ConditionError("functions take plain positional arguments only", where)
    if isinstance(node, ast.Compare):
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.Is | ast.IsNot) and not (
                isinstance(right, ast.Constant) and right.value is None
            ):
                raise ConditionError("'is' and 'is not' only compare with None", where)
    for child in ast.iter_child_nodes(node):
        _check(text, child, depth + 1)


def _describe(node: ast.AST) -> str:
    names = {
        ast.Lambda: "lambda",
        ast.ListComp: "a comprehension",
        ast.GeneratorExp: "a comprehension",
        ast.DictComp: "a comprehension",
        ast.SetComp: "a comprehension",
        ast.NamedExpr: "assignment (:=)",
        ast.Slice: "slicing",
        ast.Dict: "a dict literal",
        ast.Set: "a set literal",
        ast.JoinedStr: "an f-string",
        ast.Await: "await",
        ast.Yield: "yield",
        ast.Starred: "unpacking (*)",
    }
    return names.get(type(node), f"'{type(node).__name__}'")


class _Budget:
    """Steps, characters built and wall-clock time left for one evaluation."""

    def __init__(self) -> None:
        self.steps = MAX_STEPS
        self.characters = MAX_TOTAL_SIZE
        self.deadline = time.monotonic() + MAX_SECONDS

    def spend(self, steps: int = 1) -> None:
        self.steps -= steps
        if self.steps < 0 or time.monotonic() > self.deadline:
            raise ConditionError(
                "the expression was stopped: it does too much work", code="condition_too_costly"
            )

    def build(self, characters: int) -> None:
        self.characters -= characters
        if self.characters < 0:
            raise ConditionError(
                f"the expression was stopped: it builds more than {MAX_TOTAL_SIZE} characters "
                "of values",
                code="condition_too_costly",
            )


def evaluate_condition(expr: str | Condition, names: Mapping[str, Any]) -> Any:
    """Evaluate ``expr`` with the root ``names`` (e.g. ``{"data": ..., "event": ...}``).

    Raises :class:`ConditionError` (code ``condition_failed``) when evaluation fails or
    its value is larger than ``MAX_TOTAL_SIZE`` characters (even one read straight from
    the data: the caller would copy it into the instance's data, a request or a text),
    and (code ``condition_too_costly``) when it exceeds its budget.
    """
    value = _evaluate(expr, names)
    if size_of(value, MAX_TOTAL_SIZE) > MAX_TOTAL_SIZE:
        raise ConditionError(
            f"the expression's value is larger than {MAX_TOTAL_SIZE} characters",
            code="condition_failed",
        )
    return value


def is_true(expr: str | Condition, names: Mapping[str, Any]) -> bool:
    """A guard holds when its value is truthy (``None``, ``0``, ``""``, ``[]`` do not)."""
    # Only the truth is kept, so a large value read from the data is no copy to cap.
    return bool(_evaluate(expr, names))


def _evaluate(expr: str | Condition, names: Mapping[str, Any]) -> Any:
    condition = expr if isinstance(expr, Condition) else parse_condition(expr)
    return _Evaluation(condition.text, names).run(condition.tree.body)


class _Evaluation:
    def __init__(self, text: str, names: Mapping[str, Any]) -> None:
        self.text = text
        self.names = names
        self.budget = _Budget()

    def fail(self, node: ast.AST, message: str) -> ConditionError:
        return ConditionError(message, _offset(self.text, node), code="condition_failed")

    def charge(self, node: ast.AST, size: int) -> None:
        """Charge ``size`` characters the expression builds; refuse one value too large."""
        if size > MAX_VALUE_SIZE:
            raise self.fail(node, f"the value would be larger than {MAX_VALUE_SIZE} characters")
        self.budget.build(size)

    def built(self, node: ast.AST, value: Any) -> Any:
        self.charge(node, size_of(value, MAX_VALUE_SIZE))
        return value

    def run(self, node: ast.AST) -> Any:
        self.budget.spend()
        handler = getattr(self, f"_{type(node).__name__}")
        return handler(node)

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Name(self, node: ast.Name) -> Any:
        if node.id in _CONSTANT_NAMES:
            return _CONSTANT_NAMES[node.id]
        if node.id not in self.names:
            raise self.fail(node, f"unknown name '{node.id}'")
        return self.names[node.id]

    def _Attribute(self, node: ast.Attribute) -> Any:
        return lookup(self.run(node.value), node.attr)

    def _Subscript(self, node: ast.Subscript) -> Any:
        container = self.run(node.value)
        key = self.run(node.slice)
        return lookup(container, key)

    def _List(self, node: ast.List) -> list:
        return self.built(node, [self.run(e) for e in node.elts])

    def _Tuple(self, node: ast.Tuple) -> list:
        return self.built(node, [self.run(e) for e in node.elts])

    def _IfExp(self, node: ast.IfExp) -> Any:
        return self.run(node.body) if self.run(node.test) else self.run(node.orelse)

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        value = None
        for operand in node.values:
            value = self.run(operand)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.run(node.operand)
        if isinstance(node.op, ast.Not):
            return not value
        if not is_number(value):
            raise self.fail(node, f"a sign needs a number, not {kind(value)}")
        return -value if isinstance(node.op, ast.USub) else +value

    def _Compare(self, node: ast.Compare) -> bool:
        left = self.run(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.run(right_node)
            if not self._compare(node, op, left, right):
                return False
            left = right
        return True

    def _compare(self, node: ast.AST, op: ast.cmpop, left: Any, right: Any) -> bool:
        if isinstance(op, ast.Is):
            return left is None
        if isinstance(op, ast.IsNot):
            return left is not None
        if isinstance(op, ast.Eq):
            return left == right
        if isinstance(op, ast.NotEq):
            return left != right
        if isinstance(op, ast.In | ast.NotIn):
            found = self._contains(node, right, left)
            return found if isinstance(op, ast.In) else not found
        # Ordering with a missing value is simply false: a guard over an absent field
        # does not fire, it does not crash the instance.
        if left is None or right is None:
            return False
        try:
            if isinstance(op, ast.Lt):
                return left < right
            if isinstance(op, ast.LtE):
                return left <= right
            if isinstance(op, ast.Gt):
                return left > right
            return left >= right
        except TypeError:
            raise self.fail(node, f"cannot compare {kind(left)} with {kind(right)}") from None

    def _contains(self, node: ast.AST, container: Any, item: Any) -> bool:
        if container is None:
            return False
        if isinstance(container, str):
            if not isinstance(item, str):
                raise self.fail(node, f"'in' text needs text on the left, not {kind(item)}")
            return item in container
        if isinstance(container, list | tuple | dict):
            self.budget.spend(len(container))
            try:
                return item in container
            except TypeError:
                return False
        raise self.fail(node, f"'in' needs a list, a mapping or text, not {kind(container)}")

    def _BinOp(self, node: ast.BinOp) -> Any:
        left = self.run(node.left)
        right = self.run(node.right)
        op = node.op
        if isinstance(op, ast.Pow):
            if not (is_number(left) and is_number(right)):
                raise self.fail(node, "'**' needs numbers")
            if abs(right) > 64 or (isinstance(left, int) and left.bit_length() > 64):
                raise self.fail(node, "the power is too large")
        if isinstance(op, ast.Mult) and isinstance(left, str | list) != isinstance(
            right, str | list
        ):
            sequence, count = (left, right) if isinstance(left, str | list) else (right, left)
            if not isinstance(count, int) or isinstance(count, bool):
                raise self.fail(node, "text or a list can only be repeated a whole number of times")
            if isinstance(sequence, list) and any(isinstance(v, list | dict) for v in sequence):
                # Repeating nested lists would build huge structures out of shared parts.
                raise self.fail(node, "only a list of plain values can be repeated")
            if len(sequence) * max(count, 0) > MAX_SEQUENCE:
                raise self.fail(node, f"the result would be longer than {MAX_SEQUENCE}")
            # Measured before it is built: [text] * n costs n texts once rendered.
            one = size_of(sequence, MAX_VALUE_SIZE) - 2  # without the quotes or brackets
            self.charge(node, one * max(count, 0) + 2)
            return sequence * count
        if isinstance(op, ast.Add) and isinstance(left, str | list) and type(left) is type(right):
            if len(left) + len(right) > MAX_SEQUENCE:
                raise self.fail(node, f"the result would be longer than {MAX_SEQUENCE}")
            self.charge(node, size_of(left, MAX_VALUE_SIZE) + size_of(right, MAX_VALUE_SIZE))
            return left + right
        if not arithmetic_ok(op, left, right):
            raise self.fail(node, f"cannot compute {kind(left)} {SYMBOLS[type(op)]} {kind(right)}")
        try:
            result = ARITHMETIC[type(op)](left, right)
        except ZeroDivisionError:
            raise self.fail(node, "division by zero") from None
        except (OverflowError, ValueError, TypeError):
            raise self.fail(node, "the arithmetic result is out of range") from None
        if isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
            raise self.fail(node, "the number is too large")
        if isinstance(result, complex):
            raise self.fail(node, "the result is not a real number")
        return result

    def _Call(self, node: ast.Call) -> Any:
        name = node.func.id  # _check guarantees a whitelisted plain name
        args = [self.run(a) for a in node.args]
        function, arity = FUNCTIONS[name]
        low, high = arity
        if not low <= len(args) <= high:
            expected = str(low) if low == high else f"{low} to {high}"
            raise self.fail(node, f"{name}() takes {expected} argument(s), got {len(args)}")
        for arg in args:
            if isinstance(arg, list | tuple | dict | str):
                self.budget.spend(len(arg) // 16)
        try:
            result = function(*args)
        except ConditionError as exc:
            raise self.fail(node, f"{name}(): {exc.message}") from None
        except (TypeError, ValueError, OverflowError, AttributeError):
            raise self.fail(node, f"{name}() cannot take {', '.join(map(kind, args))}") from None
        if isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
            raise self.fail(node, "the number is too large")
        return self.built(node, result) if isinstance(result, str | list | tuple) else result


_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


def parse_template(text: str, *, roots: tuple[str, ...] | None = None) -> list[Condition]:
    """Check every ``{{ expression }}`` placeholder of ``text``; returns them parsed."""
    if not isinstance(text, str):
        raise ConditionError("a template must be text")
    if len(text) > MAX_TEMPLATE_LENGTH:
        raise ConditionError(f"the text is longer than {MAX_TEMPLATE_LENGTH} characters")
    found = []
    for count, match in enumerate(_PLACEHOLDER.finditer(text), start=1):
        if count > MAX_PLACEHOLDERS:
            raise ConditionError(f"more than {MAX_PLACEHOLDERS} placeholders", match.start())
        try:
            found.append(parse_condition(match.group(1), roots=roots))
        except ConditionError as exc:
            position = match.start(1) + (exc.position or 0)
            raise ConditionError(
                f"in placeholder '{match.group(0)}': {exc.message}", position
            ) from None
    return found


def render_template(text: str, names: Mapping[str, Any]) -> str:
    """Replace each ``{{ expression }}`` in ``text`` by its value (``format_value``).

    Raises :class:`ConditionError` when a placeholder fails or the text would be longer
    than ``MAX_VALUE_SIZE`` characters (50 placeholders of a large value would otherwise
    render 50 copies of it).
    """
    parse_template(text)
    room = MAX_VALUE_SIZE - len(text)

    def fill(match: re.Match) -> str:
        nonlocal room
        value = evaluate_condition(match.group(1), names)
        # Measured before formatting, then counted exactly (JSON escapes can grow text).
        filled = format_value(value) if size_of(value, room) <= room else None
        if filled is None or len(filled) > room:
            raise ConditionError(
                f"the rendered text would be longer than {MAX_VALUE_SIZE} characters",
                match.start(),
                code="condition_failed",
            )
        room -= len(filled)
        return filled

    return _PLACEHOLDER.sub(fill, text)
