"""What an expression is sure to do whatever the data, checked when it is parsed.

A part of an expression that reads no data (``10 ** 10 ** 10``, ``'a' * 10 ** 9``,
``round(5, -10 ** 7)``, ``1 / 0``) gives the same result every time it runs, so it is
run once here, by the interpreter itself within its usual budget, and a part that can
only fail (an exponent over the bound, a text too long, too much work, a division by
zero) is refused when the definition is validated, with its position, instead of
publishing and failing on every instance. The limits are therefore exactly those of
evaluation (condition_evaluation.py); nothing here computes anything unbounded.
"""

from __future__ import annotations

import ast
from functools import lru_cache

from .condition_evaluation import Evaluation
from .condition_syntax import CONSTANT_NAMES, Condition
from .condition_values import ConditionError

# Functions whose result depends on something besides their arguments.
_IMPURE = frozenset({"now"})


def refuse_sure_failure(condition: Condition) -> None:
    """Raise :class:`ConditionError` (``invalid_condition``) if a data-free part fails."""
    failure = _sure_failure(condition)
    if failure is not None:
        raise failure


@lru_cache(maxsize=2048)  # a Condition is hashed by identity; parsing caches them too
def _sure_failure(condition: Condition) -> ConditionError | None:
    constant: dict[ast.AST, bool] = {}
    _mark(condition.tree.body, constant)
    for part in _maximal(condition.tree.body, constant):
        try:
            Evaluation(condition.text, {}).run(part)
        except ConditionError as exc:
            return ConditionError(f"{exc.message}, whatever the data", exc.position)
    return None


def _mark(node: ast.AST, constant: dict[ast.AST, bool]) -> bool:
    """Record for ``node`` and below whether the part reads no data (post-order)."""
    children = [_mark(child, constant) for child in ast.iter_child_nodes(node)]
    if isinstance(node, ast.Name):
        known = node.id in CONSTANT_NAMES
    elif isinstance(node, ast.Call):
        func = node.func
        known = isinstance(func, ast.Name) and func.id not in _IMPURE and all(children[1:])
    else:
        known = all(children)
    constant[node] = known
    return known


def _maximal(node: ast.AST, constant: dict[ast.AST, bool]) -> list[ast.AST]:
    """The largest data-free parts that compute something (not a bare literal)."""
    if constant.get(node) and not isinstance(node, ast.Constant | ast.Name | ast.expr_context):
        return [node]
    found: list[ast.AST] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            found.extend(_maximal(child, constant))
    return found
