"""Which instances a request started itself: the engine's own answer, not a guess.

An idempotent start (``POST /api/instances/`` with an ``Idempotency-Key``) answers 201
when this request created the instance and 200 when it found one started before, maybe
by a concurrent request with the same key that won the race. ``start_instance`` returns
the instance either way; the engine tells which by sending ``instance_changed`` with
``change="started"`` in the thread that creates it. :func:`noting_starts` collects those
signals for the duration of one call (a context variable, so concurrent requests in
other threads or tasks never see each other's starts).

The engine's ``starting.start_one`` knows ``created``; when ``services.start_instance``
exposes it, this module can go.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.dispatch import receiver

from workflow_platform.engine.signals import instance_changed

_started_here: ContextVar[set[int] | None] = ContextVar("api_started_here", default=None)


@receiver(instance_changed, dispatch_uid="api-starts-noted")
def _note_start(sender, instance, change, **kwargs) -> None:
    started = _started_here.get()
    if started is not None and change == "started":
        started.add(instance.pk)


@contextmanager
def noting_starts() -> Iterator[set[int]]:
    """Yield the set of ids of the instances started inside the block, in this context."""
    started: set[int] = set()
    token = _started_here.set(started)
    try:
        yield started
    finally:
        _started_here.reset(token)
