"""Where the embedded mode keeps a dependency's shared limit state: one row per dependency.

With ``REDIS_URL`` set the state lives in Redis (redis_backend.py) and these rows stay
empty. Without it, every worker process reads and writes this row under a row lock
(database_backend.py). The fields are ``rules.LimitState`` one to one.
"""

from __future__ import annotations

from django.db import models

from workflow_platform.tenancy.models import TenantOwned

__all__ = ["DependencyState"]


class DependencyState(TenantOwned):
    """The shared token bucket, breaker and bulkhead of one tenant dependency."""

    class Breaker(models.TextChoices):
        CLOSED = "closed", "Closed"
        OPEN = "open", "Open"
        HALF_OPEN = "half_open", "Half-open"

    dependency = models.CharField(max_length=200)
    tokens = models.FloatField(null=True, blank=True, help_text="Empty: never used (full).")
    refilled_at = models.DateTimeField(null=True, blank=True)
    breaker = models.CharField(max_length=16, choices=Breaker.choices, default=Breaker.CLOSED)
    failures = models.PositiveIntegerField(default=0, help_text="Consecutive failures.")
    open_until = models.DateTimeField(null=True, blank=True)
    probes = models.PositiveIntegerField(default=0, help_text="Half-open probes admitted.")
    probe_deadline = models.DateTimeField(null=True, blank=True)
    deferred_until = models.DateTimeField(
        null=True, blank=True, help_text="Retry-After from the dependency: nobody calls before."
    )
    next_retry_at = models.DateTimeField(null=True, blank=True)
    slots = models.JSONField(
        default=dict, blank=True, help_text="Bulkhead slots in flight: slot -> expiry (epoch s)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "engine"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "dependency"], name="one_limit_state_per_dependency"
            )
        ]
        ordering = ["tenant", "dependency"]

    def __str__(self) -> str:
        return f"{self.dependency} ({self.breaker})"
