"""The tenant of an API request, and the scope every API view runs in.

A token fixes its tenant (``request.auth.tenant``); a browser session uses the tenant the
session chose (``request.tenant``, set by ``CurrentTenantMiddleware``). Every API view
inherits :class:`TenantScopedAPIMixin`, which resolves that tenant and the caller's
membership right after authentication and keeps a ``tenant_scope`` open for the rest of
the request, so a view that forgets to filter still cannot read another tenant's rows
(docs/adr/0002-tenancy.md).
"""

from __future__ import annotations

from contextlib import ExitStack

from workflow_platform.tenancy.models import ApiToken
from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.tenancy.selectors import membership_in


class TenantScopedAPIMixin:
    """Resolve ``request.tenant`` and ``request.membership``; scope the whole view."""

    def dispatch(self, request, *args, **kwargs):
        with ExitStack() as stack:
            self._scope_stack = stack
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        self.perform_authentication(request)
        tenant, membership = None, None
        if isinstance(request.auth, ApiToken):
            tenant = request.auth.tenant
            # A token outlives nothing: a removed member's token reaches nothing.
            membership = membership_in(tenant, request.user)
        elif request.user.is_authenticated:
            tenant = getattr(request._request, "tenant", None)
            membership = getattr(request._request, "membership", None)
        request._request.tenant = tenant
        request._request.membership = membership
        if tenant is not None and membership is not None:
            self._scope_stack.enter_context(tenant_scope(tenant))
        super().initial(request, *args, **kwargs)

    @property
    def tenant(self):
        return self.request.tenant
