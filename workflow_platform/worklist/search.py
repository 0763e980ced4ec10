"""The worklist's full-text search: what a task's search matches, kept next to the task.

Search looks at a task's title and the *values* of its instance's data (never the key
names: searching "amount" must not match every expense). Matching must be the same on
SQLite and PostgreSQL, including non-ASCII text: SQLite's LIKE folds ASCII only, and its
JSON text escapes non-ASCII characters, so neither the JSON column nor ``icontains``
can do it there. Each task therefore has a ``TaskSearchText`` row holding its title and
data values case-folded (and NFC-normalised) by Python; a search folds the query the
same way and looks for it with a plain ``contains``, which behaves alike on both.

The search rows follow the tasks and the engine's instances (``receivers.py``): a task
saved, and an instance whose data a commit changed while it waits in a human state.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from .models import OPEN_STATUSES, HumanTask, TaskSearchText

# Enough for any title and the data people search by; a huge payload is cut, not stored.
MAX_TEXT = 20_000


def fold(text: str) -> str:
    """``text`` as search compares it: NFC-normalised and case-folded (ß = ss, É = é)."""
    return unicodedata.normalize("NFC", text).casefold()


def _values(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _values(item)]
    if isinstance(value, list):
        return [text for item in value for text in _values(item)]
    if value is None:
        return []
    return [value if isinstance(value, str) else str(value)]


def search_text(title: str, data: Any) -> str:
    """One line per value (a query never matches across two of them)."""
    return fold("\n".join([title or "", *_values(data)]))[:MAX_TEXT]


def index_task(task: HumanTask) -> None:
    """Write (or rewrite) the search row of ``task`` from its title and instance data."""
    text = search_text(task.title, task.instance.data)
    TaskSearchText.objects.with_scopes_disabled().update_or_create(
        task_id=task.pk, defaults={"tenant_id": task.tenant_id, "text": text}
    )


def index_open_tasks_of(instances: dict) -> None:
    """Re-index the open tasks of ``instances`` (by id; their data may have changed)."""
    tasks = HumanTask.objects.with_scopes_disabled().filter(
        instance_id__in=list(instances), status__in=OPEN_STATUSES
    )
    for task in tasks.only("pk", "tenant_id", "title", "instance_id"):
        task.instance = instances[task.instance_id]
        index_task(task)
