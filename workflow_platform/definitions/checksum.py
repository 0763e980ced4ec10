"""The canonical JSON of a document and its checksum.

Two documents that mean the same (same keys and values, in any key order) have the same
canonical JSON and so the same checksum; the version's checksum is how the designer
detects a concurrent edit (``save_draft(expected_checksum=...)``) and how an export can
be checked against what was published.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(document: Any) -> str:
    """Keys sorted, no insignificant blanks, UTF-8 text as is."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def document_checksum(document: Any) -> str:
    """SHA-256 (hex) of :func:`canonical_json`."""
    return hashlib.sha256(canonical_json(document).encode()).hexdigest()
