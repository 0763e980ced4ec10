"""Validation of a definition document: every problem at once, each with a path and a reason.

First the document's shape is checked against the published JSON Schema
(document_schema.py), then the rules that need the whole document: references between
states, transitions, actions and dependencies, guards and templates that must parse,
what each state kind needs, the graph (reachable, a way out, an end in reach) and
ambiguous choices (rules.py, graph.py). With a tenant, the references to operator
groups, users, dependencies and child workflows are checked against that tenant too.
Size limits come first, so a hostile document is refused before any expensive check.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .bounds import bound_problems
from .checksum import canonical_json
from .document_schema import schema_problems
from .elements import element_of
from .rules import document_problems

if TYPE_CHECKING:
    from workflow_platform.tenancy.models import Tenant

MAX_DOCUMENT_BYTES = 256 * 1024
MAX_STATES = 200
MAX_TRANSITIONS = 1000
MAX_GUARD_LENGTH = 500
# Problems that stop validation early: the document is too big to look at further.
_SIZE_CODES = {
    "too_many_states",
    "too_many_transitions",
    "too_many_actions",
    "too_many_dependencies",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document: where, what, and why.

    ``path`` is the machine's pointer (``states[2].task.form``), for tools and the
    designer's graph; ``element`` names the same place for people (``state 'review'``,
    ``transition review -> approved on 'approve'``), and ``field`` the part within it.
    """

    path: str
    code: str
    message: str
    element: str = ""
    field: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def __str__(self) -> str:
        where = self.element or self.path or "the definition"
        return f"{where}{f' ({self.field})' if self.field else ''}: {self.message}"


def _problem(document: Any, found: tuple[str, str, str]) -> Problem:
    path, code, message = found
    element, field = element_of(document, path)
    return Problem(path, code, message, element, field)


def validate_document(document: Any, *, tenant: Tenant | None = None) -> list[Problem]:
    """Every problem of ``document`` (an empty list when it is valid).

    With ``tenant``, names of operator groups, users, dependencies and child workflows
    must exist in that tenant (publishing passes the tenant; the designer's live check
    may too). Never raises for bad input; reads the database only when given a tenant.
    """
    if not isinstance(document, dict):
        return [Problem("", "not_an_object", "a definition is a JSON object", "the definition")]
    out_of_bounds = bound_problems(document)
    if out_of_bounds:
        return [_problem(document, found) for found in out_of_bounds]
    try:
        size = len(canonical_json(document).encode())
    except (TypeError, ValueError):
        return [
            _problem(document, ("", "not_json", "the definition holds values that are not JSON"))
        ]
    if size > MAX_DOCUMENT_BYTES:
        message = f"the definition is {size} bytes; the limit is {MAX_DOCUMENT_BYTES}"
        return [_problem(document, ("", "document_too_large", message))]
    problems = [_problem(document, found) for found in schema_problems(document)]
    if any(p.code in _SIZE_CODES for p in problems):
        return problems
    seen = {(p.path, p.code) for p in problems}
    try:
        for found in document_problems(document, tenant=tenant):
            problem = _problem(document, found)
            if (problem.path, problem.code) not in seen:
                seen.add((problem.path, problem.code))
                problems.append(problem)
    except TypeError:
        # The rules assume the shapes the schema checks (a name is text, not a list or
        # an object); when the schema already said what is wrong, that is the answer.
        if not problems:
            raise
    return problems
