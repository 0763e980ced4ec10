"""Services that change tenancy: members, groups, API tokens and platform settings.

Each is one verb on one thing, keyword-only, atomic, and raises
:class:`workflow_platform.errors.PlatformError` subclasses a person can act on.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from workflow_platform.errors import Conflict, InvalidInput, NotFound, PermissionDenied

from .models import (
    TOKEN_PREFIX,
    ApiToken,
    ChangedVia,
    Membership,
    OperatorGroup,
    Role,
    Tenant,
    TenantSettingChange,
    hash_token,
)
from .scoping import all_tenants, tenant_scope

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def create_tenant(*, slug: str, name: str) -> Tenant:
    """Create a tenant; a taken slug is a conflict."""
    if Tenant.objects.filter(slug=slug).exists():
        raise Conflict("tenant_exists", f"A tenant with slug '{slug}' already exists.")
    tenant = Tenant(slug=slug, name=name)
    tenant.full_clean()
    tenant.save()
    return tenant


@transaction.atomic
def add_member(
    *, tenant: Tenant, user: User, role: str, skills: list[str] | None = None
) -> Membership:
    """Give ``user`` a ``role`` in ``tenant`` (updating the role if already a member)."""
    if role not in Role.values:
        raise InvalidInput("bad_role", f"Unknown role '{role}'; use one of {Role.values}.")
    with tenant_scope(tenant):
        membership, _ = Membership.objects.update_or_create(
            tenant=tenant, user=user, defaults={"role": role, "skills": skills or []}
        )
    return membership


@transaction.atomic
def add_to_group(*, tenant: Tenant, group_name: str, user: User) -> OperatorGroup:
    """Put a member of ``tenant`` into its operator group ``group_name`` (created if new)."""
    with tenant_scope(tenant):
        if not Membership.objects.filter(user=user).exists():
            raise InvalidInput("not_a_member", f"{user} is not a member of {tenant}.")
        group, _ = OperatorGroup.objects.get_or_create(tenant=tenant, name=group_name)
        group.members.add(user)
    return group


@transaction.atomic
def issue_api_token(
    *,
    tenant: Tenant,
    user: User,
    name: str,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``user`` in ``tenant``; returns it with the raw secret.

    The raw secret is shown once and never stored: only its hash is kept.
    """
    with tenant_scope(tenant):
        if not Membership.objects.filter(user=user).exists():
            raise InvalidInput("not_a_member", f"{user} is not a member of {tenant}.")
    expires_at = expires_at or ApiToken.default_expiry()
    if expires_at <= timezone.now():
        raise InvalidInput("bad_expiry", "A token's expiry must be in the future.")
    raw = ApiToken.generate_raw()
    token = ApiToken(
        tenant=tenant,
        user=user,
        name=name,
        prefix=raw[:10],
        token_hash=hash_token(raw),
        expires_at=expires_at,
    )
    with tenant_scope(tenant):
        token.full_clean()
        token.save()
    return token, raw


@transaction.atomic
def revoke_api_token(*, tenant: Tenant, token_id: int) -> ApiToken:
    """Revoke a token of ``tenant``; revoking twice is harmless."""
    with tenant_scope(tenant):
        token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
        if token is None:
            raise NotFound("token_not_found", "No such token.")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def authenticate_api_token(raw: str) -> ApiToken | None:
    """The active token whose secret is ``raw``, or None. Records when it was last used."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    with all_tenants():  # the token itself tells which tenant; nothing else is read
        token = (
            ApiToken.objects.select_related("tenant", "user")
            .filter(token_hash=hash_token(raw))
            .first()
        )
    if token is None or not token.is_active() or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.with_scopes_disabled().filter(pk=token.pk).update(last_used_at=now)
    return token


PRIVATE_NETWORK = "allow_private_network"


@transaction.atomic
def set_private_network(
    *, tenant: Tenant, allow: bool, by: User | None, via: str, actor: str = "", reason: str = ""
) -> tuple[Tenant, bool]:
    """Let (or stop) the tenant's HTTP actions and webhooks reach private and loopback
    addresses; returns the tenant and whether the value changed.

    Opening the platform's own network (databases, cloud metadata) to a tenant's
    workflows is the platform operator's decision, never a tenant admin's: ``by`` must be
    an active superuser (PermissionDenied ``not_a_superuser``). Only the command line may
    pass ``by=None``, naming its operator in ``actor``. A change is audited
    (:class:`TenantSettingChange`: who, when, through what, old and new, why); setting
    the value it already has records nothing.
    """
    if not isinstance(allow, bool):
        raise InvalidInput("bad_value", "allow_private_network is true or false.")
    if via not in ChangedVia.values:
        raise InvalidInput("bad_via", f"Unknown channel '{via}'; use one of {ChangedVia.values}.")
    if not isinstance(reason, str) or len(reason) > 500 or "\x00" in reason:
        raise InvalidInput("bad_reason", "A reason is text of at most 500 characters.")
    if by is None:
        if via != ChangedVia.COMMAND or not actor:
            raise PermissionDenied("not_a_superuser", "Only a platform superuser may do this.")
    elif not (by.is_active and by.is_superuser):
        raise PermissionDenied(
            "not_a_superuser",
            "Only a platform superuser may let a tenant reach private networks.",
        )
    locked = Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
    if locked is None:
        raise NotFound("tenant_not_found", "No such tenant.")
    old = locked.allow_private_network
    if old == allow:
        return locked, False
    locked.allow_private_network = allow
    locked.save(update_fields=[PRIVATE_NETWORK])
    with tenant_scope(locked):
        TenantSettingChange.objects.create(
            tenant=locked,
            setting=PRIVATE_NETWORK,
            old_value=old,
            new_value=allow,
            changed_by=by,
            actor=by.get_username() if by is not None else actor[:200],
            via=via,
            reason=reason,
        )
    return locked, True
