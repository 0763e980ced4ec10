"""The guard language's syntax: what an expression may say, checked before it runs.

Python's own parser reads an expression (``ast.parse`` in eval mode); this module then
walks the tree against a whitelist of node types, names and functions, and bounds its
length, node count and nesting, so an expression that could reach Python objects,
imports or files is refused with a reason and a position before it is ever evaluated.
Evaluation is condition_evaluation.py; the public entry points are in conditions.py.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass
from functools import lru_cache

from .condition_values import FUNCTIONS, ConditionError

# The parser warns about some texts it accepts ("1if x else 2", "'\\d'"); a definition's text is
# data, not code, so those warnings must not reach the logs. The "<guard>" file name
# scopes the filter to this module's parsing (set once: catch_warnings is not threadsafe).
_FILENAME = "<guard>"
warnings.filterwarnings("ignore", category=SyntaxWarning, module=_FILENAME)
warnings.filterwarnings("ignore", category=DeprecationWarning, module=_FILENAME)

MAX_LENGTH = 500  # characters of one expression
MAX_NODES = 200  # syntax tree nodes of one expression
MAX_DEPTH = 32  # nesting of the syntax tree

# Roots a definition's expressions may use; the engine provides their values.
GUARD_ROOTS = ("data", "event", "result", "item")
# JSON spellings, for people who write definitions in JSON.
CONSTANT_NAMES = {"true": True, "false": False, "null": None}


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
            if isinstance(n, ast.Name) and n.id not in FUNCTIONS and n.id not in CONSTANT_NAMES
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


def offset_of(text: str, node: ast.AST) -> int | None:
    """Character offset of ``node`` in ``text`` (the parser reports line and UTF-8 column)."""
    return _char_offset(text, getattr(node, "lineno", None), getattr(node, "col_offset", None))


def _end_offset(text: str, node: ast.AST) -> int | None:
    """Character offset just after ``node`` in ``text``."""
    line, col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
    return _char_offset(text, line, col)


def _char_offset(text: str, line: int | None, col: int | None) -> int | None:
    if line is None or col is None:
        return None
    lines = text.split("\n")
    before = sum(len(part) + 1 for part in lines[: line - 1])
    return before + len(lines[line - 1].encode()[:col].decode(errors="ignore"))


def _operator_offset(text: str, node: ast.BinOp | ast.UnaryOp, start: int | None) -> int | None:
    """Where the operator itself stands: after the left operand (a unary one: at the start)."""
    if isinstance(node, ast.UnaryOp):
        return start
    after_left, right = _end_offset(text, node.left), offset_of(text, node.right)
    if after_left is None or right is None:
        return start
    symbol = _OPERATOR_WORDS.get(type(node.op), "")
    found = text.find(symbol, after_left, right) if symbol else -1
    return found if found >= 0 else after_left


def _field_offset(text: str, node: ast.Attribute, start: int | None) -> int | None:
    """Where the field's name begins (``data.__class__``: at ``__class__``)."""
    end = _end_offset(text, node)
    return start if end is None else end - len(node.attr)


def parse_syntax(text: str, *, roots: tuple[str, ...] | None = None) -> Condition:
    """Parse and check the syntax of ``text``; with ``roots``, only those root names.

    Raises :class:`ConditionError` with the reason and position. What a data-free part
    computes is checked on top of this (condition_static.py, via conditions.py).
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
                and node.id not in CONSTANT_NAMES
            ):
                lead = len(text) - len(text.lstrip())
                where = offset_of(condition.text, node)
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
    if "\x00" in text:
        # The parser's own refusal would speak of "source code" and "null bytes".
        raise ConditionError("the expression holds a NUL character", text.index("\x00"))
    # Positions are reported in the text as written; the parser sees it without the
    # surrounding blanks (eval mode refuses leading indentation).
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    try:
        tree = ast.parse(stripped, filename=_FILENAME, mode="eval")
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
        where = None if exc.position is None else exc.position + lead
        raise ConditionError(exc.message, where) from None
    return Condition(text=stripped, tree=tree)


def _check(text: str, node: ast.AST, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ConditionError(
            f"the expression is nested more than {MAX_DEPTH} levels", offset_of(text, node)
        )
    where = offset_of(text, node)
    # An operator has no position of its own: found between its operands.
    if isinstance(node, ast.BinOp | ast.UnaryOp) and not isinstance(node.op, _ALLOWED_NODES):
        raise ConditionError(
            f"{describe(node.op)} is not allowed in a guard", _operator_offset(text, node, where)
        )
    if not isinstance(node, _ALLOWED_NODES):
        raise ConditionError(f"{describe(node)} is not allowed in a guard", where)
    if isinstance(node, ast.Constant) and not isinstance(
        node.value, str | int | float | bool | type(None)
    ):
        raise ConditionError("only text, numbers, true, false and null are literals", where)
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        raise ConditionError("names starting with '_' are not allowed", where)
    if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
        raise ConditionError(
            "fields starting with '_' are not allowed after '.'", _field_offset(text, node, where)
        )
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise ConditionError(
                f"only these functions can be called: {', '.join(sorted(FUNCTIONS))}", where
            )
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise ConditionError("functions take plain positional arguments only", where)
        low, high = FUNCTIONS[node.func.id][1]
        if not low <= len(node.args) <= high:
            expected = str(low) if low == high else f"{low} to {high}"
            raise ConditionError(
                f"{node.func.id}() takes {expected} argument(s), not {len(node.args)}", where
            )
    if isinstance(node, ast.Compare):
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.Is | ast.IsNot) and not (
                isinstance(right, ast.Constant) and right.value is None
            ):
                raise ConditionError("'is' and 'is not' only compare with None", where)
    for child in ast.iter_child_nodes(node):
        _check(text, child, depth + 1)


# What each refused part of Python's syntax is called in the guard language's words:
# a problem never names the parser's node classes ("RShift", "ListComp").
_OPERATOR_WORDS: dict[type, str] = {
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.MatMult: "@",
    ast.Invert: "~",
}
_CONSTRUCT_WORDS: dict[type, str] = {
    ast.Lambda: "a lambda (an inline function)",
    ast.ListComp: "a comprehension ([... for ...])",
    ast.GeneratorExp: "a comprehension ((... for ...))",
    ast.DictComp: "a comprehension ({...: ... for ...})",
    ast.SetComp: "a comprehension ({... for ...})",
    ast.comprehension: "a comprehension (for ... in ...)",
    ast.NamedExpr: "an assignment (:=)",
    ast.Store: "an assignment",
    ast.Del: "deleting",
    ast.Slice: "slicing ([a:b])",
    ast.Dict: "a mapping literal ({...: ...})",
    ast.Set: "a set literal ({...})",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Starred: "unpacking (*)",
    ast.keyword: "a named argument (name=...)",
    ast.arguments: "function parameters",
    ast.arg: "a function parameter",
}


def describe(node: ast.AST) -> str:
    """What ``node`` is called in a problem: never the name of a Python class."""
    if type(node) in _OPERATOR_WORDS:
        return f"the operator {_OPERATOR_WORDS[type(node)]}"
    return _CONSTRUCT_WORDS.get(type(node), "this kind of expression")
