"""A fault loaded into a test's worker through ``WORKFLOW_CALLABLE_MODULES``.

It ends the worker's pool process right after the commit that took an instance's first
step and before the step's message is acknowledged: the commit is durable, the broker
still holds the message, and the instances of the batch keep the dead worker's lease.
Once per instance (marked by a file in ``WI_CRASH_MARKS``), so the run can finish.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.db import transaction
from django.dispatch import receiver

from workflow_platform.engine.signals import Change, instance_changed

MARKS = Path(os.environ["WI_CRASH_MARKS"])
EXIT_CODE = 71


def _end_process() -> None:
    os._exit(EXIT_CODE)


@receiver(instance_changed)
def end_the_worker_after_the_first_steps_commit(sender, instance, change, **kwargs):
    if change != Change.TRANSITIONED or instance.step != 1:
        return
    try:
        (MARKS / str(instance.pk)).touch(exist_ok=False)
    except FileExistsError:
        return
    transaction.on_commit(_end_process)
