"""Every tenant-owned model is queried through the tenant-scoped manager, by construction."""

import pytest
from django.apps import apps
from django.db import models

from workflow_platform.tenancy.models import Tenant
from workflow_platform.tenancy.scoping import TenantScopedManager


def _tenant_owned_models():
    for model in apps.get_models():
        fields = [f for f in model._meta.get_fields() if isinstance(f, models.ForeignKey)]
        if any(f.name == "tenant" or f.related_model is Tenant for f in fields):
            yield model


TENANT_OWNED = sorted(_tenant_owned_models(), key=lambda m: m._meta.label)


def test_the_platform_has_tenant_owned_models_to_check():
    labels = {m._meta.label for m in TENANT_OWNED}
    assert {"tenancy.Membership", "definitions.Version", "engine.Instance"} <= labels


@pytest.mark.parametrize("model", TENANT_OWNED, ids=lambda m: m._meta.label)
def test_tenant_owned_model_uses_the_tenant_scoped_manager(model):
    tenant_fields = [
        f.name
        for f in model._meta.get_fields()
        if isinstance(f, models.ForeignKey) and f.related_model is Tenant
    ]
    assert tenant_fields == ["tenant"], "a tenant-owned model has one FK to Tenant: 'tenant'"
    assert isinstance(model._default_manager, TenantScopedManager)
    for manager in model._meta.managers:
        # The only unscoped manager allowed is a private base manager (related objects).
        unscoped_base = manager is model._base_manager and manager.name.startswith("_")
        assert isinstance(manager, TenantScopedManager) or unscoped_base, manager.name
