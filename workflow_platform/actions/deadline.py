"""Run a function on another thread and stop waiting for it at a deadline.

Python cannot kill a thread, so a deadline means "the worker moves on", not "the work
stops" (ADR 0003). Starting a thread costs a few hundred microseconds on a busy
machine, more than a whole trivial step, so finished helper threads are kept and
reused; a helper that overran its deadline is abandoned to finish on its own and never
returns to the pool, so a hung callable can never delay the next call.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable
from typing import Any

from django.db import connections

MAX_IDLE = 8  # helpers kept per process; more only exist while calls overlap

_idle: queue.SimpleQueue[_Helper] = queue.SimpleQueue()
_idle_count = 0
_idle_lock = threading.Lock()


class DeadlineExceeded(Exception):
    pass


class _Job:
    __slots__ = ("abandoned", "done", "error", "fn", "value")

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None
        self.abandoned = False


class _Helper:
    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._loop, name="action-deadline", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                job.value = job.fn()
            except BaseException as error:  # handed to the waiting worker thread
                job.error = error
            finally:
                # Connections are per thread: an idle helper must not hold one (it would
                # count against the database's limit and block dropping a test database).
                _close_connections()
                job.done.set()
            if job.abandoned or not _give_back(self):
                return


def _close_connections() -> None:
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except Exception:  # noqa: S112 - nothing to report to; the next job reconnects
            continue


def _give_back(helper: _Helper) -> bool:
    global _idle_count
    with _idle_lock:
        if _idle_count >= MAX_IDLE:
            return False
        _idle_count += 1
    _idle.put(helper)
    return True


def _take() -> _Helper:
    global _idle_count
    try:
        helper = _idle.get_nowait()
    except queue.Empty:
        return _Helper()
    with _idle_lock:
        _idle_count -= 1
    return helper


def call_with_deadline(fn: Callable[..., Any], *args: Any, seconds: float) -> Any:
    """``fn(*args)`` on a helper thread with the caller's context; its return value or
    exception, or :class:`DeadlineExceeded` after ``seconds`` (``fn`` keeps running)."""
    context = contextvars.copy_context()
    job = _Job(lambda: context.run(fn, *args))
    _take().jobs.put(job)
    if not job.done.wait(max(seconds, 0.001)):
        job.abandoned = True
        # The helper may have finished between the wait and the flag: then it already
        # went back to the pool, which is fine, since it is idle.
        raise DeadlineExceeded
    if job.error is not None:
        raise job.error
    return job.value
