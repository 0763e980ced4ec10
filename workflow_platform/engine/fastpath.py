"""The hot path's set-based statements on PostgreSQL: one UPDATE, one INSERT per round.

Each round of the executor writes the new projection of every instance of its batch and
their history events. Django's ``bulk_update`` builds a CASE expression per field and
row, and ``bulk_create`` a statement whose text changes with the row count; both cost
more CPU than the transitions themselves. Here each is one statement of constant text
over ``unnest`` of column arrays (so its parsing is cached), and the UPDATE checks every
row's fencing token in the same statement (docs/adr/0006-engine-database-is-the-truth.md).
SQLite (the embedded mode) uses the portable ORM path in :mod:`.journal`.
"""

from __future__ import annotations

import json

from django.db import connection

from .pending import stored

UPDATE_FENCED = """
UPDATE engine_instance AS i SET
  status = v.status, state = v.state, data = v.data::jsonb, step = v.step,
  attempt = v.attempt, seq = v.seq, pending = v.pending::jsonb, ready = v.ready,
  ready_since = v.ready_since, lease_owner = v.lease_owner,
  lease_expires_at = v.lease_expires_at, has_incident = v.has_incident,
  last_error = v.last_error, ended_at = v.ended_at, updated_at = v.updated_at,
  lost_leases = 0
FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::int[],
            %s::int[], %s::int[], %s::text[], %s::bool[], %s::timestamptz[], %s::text[],
            %s::timestamptz[], %s::bool[], %s::text[], %s::timestamptz[], %s::timestamptz[])
  AS v(id, fence, status, state, data, step, attempt, seq, pending, ready, ready_since,
       lease_owner, lease_expires_at, has_incident, last_error, ended_at, updated_at)
WHERE i.id = v.id AND i.fence = v.fence
RETURNING i.id, i.events_queued
"""

INSERT_HISTORY = """
INSERT INTO engine_historyevent (tenant_id, instance_id, seq, type, from_state, to_state,
  status, step, event, action, attempt, delta, detail, user_id, created_at)
SELECT tenant_id, instance_id, seq, type, from_state, to_state, status, step, event, action,
  attempt, delta::jsonb, detail::jsonb, user_id, created_at
FROM unnest(%s::bigint[], %s::bigint[], %s::int[], %s::text[], %s::text[], %s::text[],
            %s::text[], %s::int[], %s::text[], %s::text[], %s::int[], %s::text[], %s::text[],
            %s::int[], %s::timestamptz[])
  AS h(tenant_id, instance_id, seq, type, from_state, to_state, status, step, event, action,
       attempt, delta, detail, user_id, created_at)
"""


def _json(value) -> str | None:
    return None if value is None else json.dumps(value)


def update_fenced(moves) -> dict[int, int]:
    """Write the projection of every move whose fence still matches.

    Returns the ids written, each with its row's ``events_queued`` as it is now (the
    mailbox may have raised it while the step ran; the UPDATE waited for that lock).
    """
    columns: list[list] = [[] for _ in range(17)]
    for move in moves:
        inst = move.instance
        row = (
            inst.pk, move.fence, inst.status, inst.state, json.dumps(inst.data), inst.step,
            inst.attempt, inst.seq, _json(stored(inst.pending)), inst.ready, inst.ready_since,
            inst.lease_owner, inst.lease_expires_at, inst.has_incident, inst.last_error,
            inst.ended_at, inst.updated_at,
        )  # fmt: skip
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    with connection.cursor() as cursor:
        cursor.execute(UPDATE_FENCED, columns)
        return dict(cursor.fetchall())


def insert_history(events) -> None:
    """Append history events (already numbered) with one statement."""
    columns: list[list] = [[] for _ in range(15)]
    for e in events:
        row = (
            e.tenant_id, e.instance_id, e.seq, e.type, e.from_state, e.to_state, e.status,
            e.step, e.event, e.action, e.attempt, _json(e.delta), _json(e.detail), e.user_id,
            e.created_at,
        )  # fmt: skip
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    if events:
        with connection.cursor() as cursor:
            cursor.execute(INSERT_HISTORY, columns)
