"""Demo callables that the seed templates run (docs/templates.md lists them).

They stand in for the payment provider, airline, scanner, warehouse and app store of
the seed articles, so the templates run end to end without outside services. Each is
deterministic: its answer depends on the call's data and idempotency key (identifiers
are derived from the key, so a retry returns the same payment, booking or release) and
on how often a wait state has polled it (:mod:`.polls`). Importing this package
registers them.
"""

from . import app_store, commerce, data_pipeline, travel, uploads  # noqa: F401
