"""The engine's services, grouped by verb; callers import them from here.

- :mod:`.instances`: start (one or many, idempotent), send an event, cancel (with or
  without compensation): what a client or a person does to an instance in the course
  of its life.
- :mod:`.repairs`: retry an incident (its data corrected first if need be), suspend,
  resume, redrive: what an operator does to hold or mend one.
  Migrating instances to another version is a repair too; its planning and dry run make
  it a module of its own (``engine.migration``).

Each is one verb on one thing, keyword-only with the tenant first, atomic, and raises
:mod:`workflow_platform.errors` exceptions a person can act on.
"""

from .instances import (
    SentEvent,
    Started,
    cancel_and_compensate,
    cancel_instance,
    send_event,
    start_instance,
    start_instances,
    start_or_find_instance,
    start_or_find_instances,
)
from .repairs import redrive_instance, resume_instance, retry_incident, suspend_instance

__all__ = [
    "SentEvent",
    "Started",
    "cancel_and_compensate",
    "cancel_instance",
    "redrive_instance",
    "resume_instance",
    "retry_incident",
    "send_event",
    "start_instance",
    "start_instances",
    "start_or_find_instance",
    "start_or_find_instances",
    "suspend_instance",
]
