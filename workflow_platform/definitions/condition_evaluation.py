"""The guard language's interpreter: it walks a checked tree, within a budget.

Each node of a tree that condition_syntax.py accepted has a handler here. Lookups on
plain data only (a missing key is ``None``, ``getattr`` is never called); arithmetic,
comparisons and functions refuse what they cannot do with a clear reason. Every
evaluation has a budget of steps, wall-clock time and characters built: each text, list
or function result an expression builds is measured as it would be rendered (a shared
part counts each time it appears) against a per-value cap and the evaluation's total,
so a hostile expression is cut off, never left to exhaust a worker.
"""

from __future__ import annotations

import ast
import operator
import time
from collections.abc import Mapping
from typing import Any, cast

from .condition_syntax import CONSTANT_NAMES, offset_of
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

MAX_STEPS = 10_000  # evaluation budget: one per node, plus the size of what builtins walk
MAX_SECONDS = 0.1  # wall-clock backstop of one evaluation (steps are the real bound)
MAX_EXPONENT = 64  # a power's exponent lies within +-64, its whole-number base under 2**64


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


class Evaluation:
    """One run of one expression over ``names``, with its own budget."""

    def __init__(self, text: str, names: Mapping[str, Any]) -> None:
        self.text = text
        self.names = names
        self.budget = _Budget()

    def fail(self, node: ast.AST, message: str) -> ConditionError:
        return ConditionError(message, offset_of(self.text, node), code="condition_failed")

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
        if node.id in CONSTANT_NAMES:
            return CONSTANT_NAMES[node.id]
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
            if not abs(right) <= MAX_EXPONENT:
                raise self.fail(
                    node,
                    f"the exponent {format_value(right)} of a power is outside "
                    f"-{MAX_EXPONENT} to {MAX_EXPONENT}",
                )
            if isinstance(left, int) and left.bit_length() > MAX_EXPONENT:
                raise self.fail(node, f"the base of a power must be smaller than 2**{MAX_EXPONENT}")
        if isinstance(op, ast.Mult) and isinstance(left, str | list) != isinstance(
            right, str | list
        ):
            sequence, count = (left, right) if isinstance(left, str | list) else (right, left)
            if not isinstance(count, int) or isinstance(count, bool):
                raise self.fail(node, "text or a list can only be repeated a whole number of times")
            if abs(count) > MAX_SEQUENCE:
                # Even an empty text: Python cannot repeat beyond its index size.
                raise self.fail(
                    node, f"text or a list can be repeated at most {MAX_SEQUENCE} times"
                )
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
            return operator.add(left, right)  # str + str or list + list
        if not arithmetic_ok(op, left, right):
            raise self.fail(node, f"cannot compute {kind(left)} {SYMBOLS[type(op)]} {kind(right)}")
        try:
            result = ARITHMETIC[type(op)](left, right)
        except ZeroDivisionError:
            raise self.fail(node, "division by zero") from None
        except (OverflowError, ValueError, TypeError):
            raise self.fail(node, "the arithmetic result is out of range") from None
        if isinstance(result, int) and result.bit_length() > MAX_INT_BITS:
            raise self.fail(node, f"the number is larger than {MAX_INT_BITS} bits")
        if isinstance(result, complex):
            raise self.fail(node, "the result is not a real number")
        return result

    def _Call(self, node: ast.Call) -> Any:
        name = cast("ast.Name", node.func).id  # _check guarantees a whitelisted plain name
        args = [self.run(a) for a in node.args]
        function = FUNCTIONS[name][0]  # _check also checked the number of arguments
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
            raise self.fail(node, f"the number is larger than {MAX_INT_BITS} bits")
        return self.built(node, result) if isinstance(result, str | list | tuple) else result
