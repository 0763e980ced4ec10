"""Who a websocket listens to: the channels of its user's current tenant, nothing else.

The consumer asks this module once, on connect; the session's tenant is chosen exactly
as ``CurrentTenantMiddleware`` chooses it for pages, so the socket and the page agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from workflow_platform.tenancy.models import OperatorGroup
from workflow_platform.tenancy.selectors import memberships_of

from . import live


@dataclass(frozen=True)
class Audience:
    """The channels one user's websocket may listen to: their current tenant only."""

    tenant_id: int
    user_id: int
    group_ids: tuple[int, ...] = ()
    channels: tuple[str, ...] = field(default=())


def current_audience(user_id: int, tenant_id: int) -> Audience | None:
    """The audience an open socket keeps, read again: None when the user is no longer an
    active member of the socket's tenant (the socket must close, not switch tenants)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    audience = audience_of(user, tenant_id) if user is not None else None
    return audience if audience is not None and audience.tenant_id == tenant_id else None


def audience_of(user: AbstractBaseUser, wanted_tenant_id: int | None) -> Audience | None:
    """The user's audience in the session's tenant (the same choice as the middleware)."""
    memberships = memberships_of(user)
    chosen = next((m for m in memberships if m.tenant_id == wanted_tenant_id), None)
    chosen = chosen or (memberships[0] if memberships else None)
    if chosen is None:
        return None
    group_ids = tuple(
        OperatorGroup.objects.for_tenant(chosen.tenant)
        .filter(members=user)
        .order_by("id")
        .values_list("id", flat=True)
    )
    channels = (
        live.tenant_channel(chosen.tenant_id),
        *(live.group_channel(g) for g in group_ids),
        live.user_channel(user.pk),
    )
    return Audience(chosen.tenant_id, user.pk, group_ids, channels)
