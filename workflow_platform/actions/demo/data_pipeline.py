"""Parallel ETL over partitions with a fan-in (seed 001): plan, extract, transform, merge."""

from __future__ import annotations

import hashlib
from typing import Any

from ..base import ActionCall, NonRetryableActionError
from ..registry import register_callable

MAX_PARTITIONS = 1000


@register_callable("demo.plan_partitions")
def plan_partitions(call: ActionCall) -> dict[str, Any]:
    count = call.data.get("partitions", 4)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_PARTITIONS:
        raise NonRetryableActionError(
            f"partitions must be a whole number from 1 to {MAX_PARTITIONS}.", code="bad_plan"
        )
    dataset, day = call.data.get("dataset"), call.data.get("day")
    return {
        "partitions": [{"index": i, "dataset": dataset, "day": day} for i in range(count)],
    }


def _partition(call: ActionCall) -> dict[str, Any]:
    partition = call.data.get("partition")
    if not isinstance(partition, dict) or "index" not in partition:
        raise NonRetryableActionError(
            "The child's data.partition must be a planned partition.", code="bad_partition"
        )
    return partition


@register_callable("demo.extract_partition")
def extract_partition(call: ActionCall) -> dict[str, Any]:
    """A row count derived from the partition's name: the same every run."""
    p = _partition(call)
    digest = hashlib.sha256(f"{p.get('dataset')}/{p.get('day')}/{p['index']}".encode())
    return {"rows": 1000 + int(digest.hexdigest()[:4], 16) % 9000, "partition": p["index"]}


@register_callable("demo.transform_partition")
def transform_partition(call: ActionCall) -> dict[str, Any]:
    p = _partition(call)
    if p.get("fail"):
        raise NonRetryableActionError(
            f"Partition {p['index']} has malformed rows.", code="malformed_partition"
        )
    rows = (call.data.get("extracted") or {}).get("rows", 0)
    checksum = hashlib.sha256(f"{p['index']}:{rows}".encode()).hexdigest()[:16]
    return {"rows": rows, "checksum": checksum, "partition": p["index"]}


def _rows_of(result: Any) -> int:
    # A child's result may be its transform output or its whole data (with "result").
    if not isinstance(result, dict):
        return 0
    rows = result.get("rows")
    if rows is None:
        rows = (result.get("result") or {}).get("rows", 0)
    return rows if isinstance(rows, int) and not isinstance(rows, bool) else 0


@register_callable("demo.merge_partitions")
def merge_partitions(call: ActionCall) -> dict[str, Any]:
    results = call.data.get("partition_results") or []
    if isinstance(results, dict):
        results = list(results.values())
    if not isinstance(results, list):
        raise NonRetryableActionError(
            "partition_results must be the list of child results.", code="bad_results"
        )
    return {"partitions": len(results), "rows": sum(_rows_of(r) for r in results)}
