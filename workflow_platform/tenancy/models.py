"""Tenants, who belongs to them and in which role, operator groups and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from .scoping import TenantScopedManager


class Tenant(models.Model):
    """A team or customer; every workflow object belongs to exactly one."""

    slug = models.SlugField(unique=True, max_length=63)
    name = models.CharField(max_length=200)
    # HTTP actions refuse private and loopback addresses unless the tenant allows them.
    allow_private_network = models.BooleanField(
        default=False, help_text="Let HTTP actions call private and loopback addresses."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TenantOwned(models.Model):
    """Base of every model that belongs to one tenant (see scoping.py)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    objects = TenantScopedManager()

    class Meta:
        abstract = True


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    DESIGNER = "designer", "Designer"
    OPERATOR = "operator", "Operator"
    VIEWER = "viewer", "Viewer"


class Membership(TenantOwned):
    """A user's place in a tenant: the role, skills for routing, and availability.

    What the role may do is the capability table's (``capabilities.may``), nobody else's.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    skills = models.JSONField(default=list, blank=True, help_text="Skill tags for routing.")
    away_until = models.DateTimeField(
        null=True, blank=True, help_text="Routing and escalation skip the member until then."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="one_membership_per_tenant")
        ]
        ordering = ["tenant", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant} as {self.role}"

    def is_away(self, at: datetime | None = None) -> bool:
        return bool(self.away_until and self.away_until > (at or timezone.now()))


class OperatorGroup(TenantOwned):
    """Operators that human tasks can be assigned to as a group."""

    name = models.CharField(
        max_length=100,
        validators=[RegexValidator(r"^[A-Za-z0-9_.-]+$", "Letters, digits, _ . - only.")],
    )
    description = models.CharField(max_length=300, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="operator_groups", blank=True
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="unique_group_name")]
        ordering = ["tenant", "name"]

    def __str__(self) -> str:
        return self.name


TOKEN_PREFIX = "wi_"  # noqa: S105 - a public marker, not a secret


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(TenantOwned):
    """A per-user, per-tenant API credential. Only its SHA-256 hash is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    # The first characters of the token, shown so people can tell tokens apart.
    prefix = models.CharField(max_length=16, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate_raw() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)

    @staticmethod
    def default_expiry() -> datetime:
        return timezone.now() + timedelta(days=90)

    def is_active(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and self.expires_at > at


class ChangedVia(models.TextChoices):
    API = "api", "API"
    COMMAND = "command", "Management command"
    ADMIN = "admin", "Admin site"


class TenantSettingChange(TenantOwned):
    """The audit trail of a platform-level setting of a tenant: who changed it, when,
    through what, from which value to which. Written by the services only, never edited."""

    setting = models.CharField(max_length=50)
    old_value = models.JSONField()
    new_value = models.JSONField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too: the account may go, and a command line has no account (its
    # operator's login name is recorded instead).
    actor = models.CharField(max_length=200)
    via = models.CharField(max_length=16, choices=ChangedVia.choices)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.setting}: {self.old_value} → {self.new_value} by {self.actor}"
