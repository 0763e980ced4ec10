"""Starting instances: one or thousands, idempotent on (tenant, idempotency key).

A start is a move like any other: the new instance enters the version's initial state
(tasks and timers opened, lifecycle set) and its first history event, ``started``,
records the initial data. Starts are set-based: one INSERT for all the new instances,
one for their history, whatever their number. A new instance that has automatic work
is left ``ready`` for the ``starts`` queue (in-flight work is claimed first).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from django.db import IntegrityError, transaction
from django.utils import timezone

from workflow_platform.definitions.bounds import bound_problems
from workflow_platform.definitions.models import Version
from workflow_platform.definitions.selectors import published_version
from workflow_platform.errors import Conflict, InvalidInput

from . import tracing
from .journal import write_side_rows
from .models import HistoryEvent, Instance
from .moves import Move
from .signals import Change
from .stepping import delta_of, enter_state, open_incident

if TYPE_CHECKING:
    from workflow_platform.tenancy.models import Tenant


def request_hash(*, definition_key: str, data: dict, business_key: str, priority: int) -> str:
    """What makes two starts "the same request" for the idempotency check."""
    canonical = json.dumps(
        [definition_key, data, business_key, priority], sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def published_version_of(tenant: Tenant, definition_key: str) -> Version:
    """The latest published version of ``definition_key`` in ``tenant`` (NotFound if none)."""
    return published_version(tenant, definition_key)


def check_data(data: Any) -> dict:
    """``data`` as an instance's data (None: empty), or InvalidInput ``bad_data``."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput("bad_data", "An instance's data must be a JSON object.")
    # The bounds first: their walk does not recurse, so a value nested thousands deep is
    # refused before anything serialises it. PostgreSQL's JSON cannot hold a NUL, and
    # nothing a workflow needs is nested deeper; large numbers are fine (jsonb keeps them).
    for path, code, message in bound_problems(data):
        if code != "number_out_of_range":
            raise InvalidInput(
                "bad_data", f"An instance's data cannot be stored: {path or 'data'}: {message}."
            )
    try:
        json.dumps(data, allow_nan=False)
    except TypeError as error:
        raise InvalidInput("bad_data", f"An instance's data must be JSON: {error}") from error
    except ValueError as error:  # a JSON number of 1e309 parses as infinity
        raise InvalidInput(
            "bad_data", "An instance's data holds a number that is not finite (NaN or infinity)."
        ) from error
    return data


START_ITEM_FIELDS = frozenset({"data", "business_key", "priority", "idempotency_key"})
MAX_PRIORITY = 1000


class StartItem(NamedTuple):
    """One start of a bulk start, checked."""

    data: dict
    business_key: str
    priority: int
    idempotency_key: str


def check_item(index: int, item: Any) -> StartItem:
    """Item ``index`` of a bulk start, checked field by field; InvalidInput naming it."""

    def refuse(message: str, code: str = "bad_item") -> NoReturn:
        raise InvalidInput(code, f"Item {index}: {message}", details=[{"item": index}])

    if not isinstance(item, dict):
        refuse("an item is a JSON object with data, business_key, priority, idempotency_key.")
    unknown = sorted(str(name) for name in item if name not in START_ITEM_FIELDS)
    if unknown:
        refuse(
            f"unknown field '{unknown[0][:50]}' (fields: {', '.join(sorted(START_ITEM_FIELDS))})."
        )
    try:
        data = check_data(item.get("data"))
    except InvalidInput as error:
        refuse(error.message)
    texts = {}
    for name in ("business_key", "idempotency_key"):
        value = item.get(name)
        value = "" if value is None else value
        if not isinstance(value, str) or len(value) > 200 or "\x00" in value:
            refuse(f"{name} is text of at most 200 characters.")
        texts[name] = value.strip() if name == "idempotency_key" else value
    priority = item.get("priority", 0)
    priority = 0 if priority is None else priority
    if isinstance(priority, bool) or not isinstance(priority, int) or abs(priority) > MAX_PRIORITY:
        refuse(f"priority is a whole number from -{MAX_PRIORITY} to {MAX_PRIORITY}.")
    return StartItem(data, texts["business_key"], priority, texts["idempotency_key"])


def prepare(
    *,
    tenant: Tenant,
    version: Version,
    data: dict,
    business_key: str = "",
    priority: int = 0,
    idempotency_key: str = "",
    hash_: str = "",
    user=None,
    parent: Instance | None = None,
    now=None,
) -> Move:
    """The move of a new instance entering its initial state (nothing written yet)."""
    now = now or timezone.now()
    machine = version.machine
    inst = Instance(
        tenant=tenant,
        version=version,
        definition_id=version.definition_id,
        state=machine.initial,
        data=data,
        business_key=business_key[:200],
        priority=priority,
        idempotency_key=idempotency_key[:200],
        request_hash=hash_,
        started_by=user,
        parent=parent,
        created_at=now,
        updated_at=now,
    )
    move = Move(instance=inst)
    enter_state(move, machine, machine.states[machine.initial], now=now)
    if inst.ready:
        inst.ready_since = now
    move.record(
        HistoryEvent.Type.STARTED,
        now=now,
        delta=delta_of({}, data),
        user=user,
        # The version it starts on: replay derives the version (and machine) from here.
        detail={
            "version": version.number,
            **({"business_key": business_key} if business_key else {}),
        },
    )
    move.changes.insert(0, Change.STARTED)
    problem = move.timer_problem
    if problem:  # the initial state's timer cannot be scheduled for this data
        open_incident(move, code="timer_not_scheduled", message=problem, now=now)
    return move


def write_new(moves: list[Move]) -> list[Instance]:
    """Insert the instances of ``moves`` and their side rows (inside a transaction)."""
    new = [m.instance for m in moves]
    with tracing.starting(new):  # each start's span, its traceparent stored on the row
        instances = Instance.objects.bulk_create(new, batch_size=2000)
        now = timezone.now()
        write_side_rows(moves, now=now)
    return instances


def start_one(
    *, tenant: Tenant, definition_key: str, data, idempotency_key, business_key, priority, user
) -> tuple[Instance, bool]:
    """Start or find the instance of an idempotent start; (instance, created)."""
    data = check_data(data)
    key = (idempotency_key or "").strip()
    if len(key) > 200:
        raise InvalidInput("bad_idempotency_key", "An idempotency key is at most 200 characters.")
    hash_ = request_hash(
        definition_key=definition_key, data=data, business_key=business_key, priority=priority
    )
    if key:
        existing = _existing(tenant, key, hash_)
        if existing is not None:
            return existing, False
    version = published_version_of(tenant, definition_key)
    move = prepare(
        tenant=tenant,
        version=version,
        data=data,
        business_key=business_key,
        priority=priority,
        idempotency_key=key,
        hash_=hash_,
        user=user,
    )
    # The definition was loaded with the version: callers may read it without a query.
    move.instance.definition = version.definition
    try:
        with transaction.atomic():
            write_new([move])
    except IntegrityError:
        # Two starts with one key raced: the other one won; answer as if we came second.
        existing = _existing(tenant, key, hash_) if key else None
        if existing is None:
            raise
        return existing, False
    return move.instance, True


def _existing(tenant: Tenant, key: str, hash_: str) -> Instance | None:
    found = Instance.objects.for_tenant(tenant).filter(idempotency_key=key).first()
    return None if found is None else same_request(found, key, hash_)


def same_request(found: Instance, key: str, hash_: str) -> Instance:
    """``found``, started with ``key``, if this request is the one that started it;
    Conflict ``idempotency_key_reused`` if the key came with other data."""
    if found.request_hash != hash_:
        raise Conflict(
            "idempotency_key_reused",
            f"Idempotency key '{key}' was already used to start instance {found.pk} "
            "with other data.",
        )
    return found
