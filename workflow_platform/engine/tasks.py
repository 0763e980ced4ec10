"""Celery tasks of the engine: thin shells over the executor and the scheduler.

Messages carry no instance and no state (docs/adr/0006-engine-database-is-the-truth.md):
they only say "claim ready work now". Names carry their queue (workflow_platform/celery.py):
in-flight steps on ``steps``, new starts on ``starts``, sweeps on ``timers``.
"""

from celery import shared_task

from . import executor, scheduler, waiting


@shared_task(name="engine.steps.run_ready", ignore_result=True)
def run_ready(instance_ids: list[int] | None = None) -> int:
    """Claim ready in-flight instances (then new ones) and run them; transitions made."""
    return executor.run_ready(ids=instance_ids)


@shared_task(name="engine.starts.run_new", ignore_result=True)
def run_new() -> int:
    """Claim ready instances, in-flight first, then new starts; transitions made."""
    return executor.run_ready()


@shared_task(name="engine.waits.run_due", ignore_result=True)
def run_due_waits() -> int:
    """On the ``waits`` queue: run due polls and wait deadlines (waiting.py)."""
    return waiting.run_due()


@shared_task(name="engine.timers.sweep_due_timers", ignore_result=True)
def sweep_due_timers() -> int:
    return scheduler.sweep_due_timers()


@shared_task(name="engine.timers.sweep_expired_leases", ignore_result=True)
def sweep_expired_leases() -> int:
    return scheduler.sweep_expired_leases()


@shared_task(name="engine.timers.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    return scheduler.sweep_outbox()
