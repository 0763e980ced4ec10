"""The demo tenant and its users: one per role, printed by the run command.

Loading is idempotent: running it again resets the demo passwords and leaves data alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from workflow_platform.tenancy.models import Role, Tenant
from workflow_platform.tenancy.services import add_member, add_to_group

DEMO_PASSWORD = "island-demo"  # noqa: S105 - demo-only, printed on start


@dataclass(frozen=True)
class DemoUser:
    username: str
    tenant: str
    role: str
    groups: tuple[str, ...] = ()
    staff: bool = False
    superuser: bool = False


DEMO_TENANTS = {"acme": "Acme Logistics (demo)", "globex": "Globex Support (demo)"}
DEMO_USERS = (
    DemoUser("admin", "acme", Role.ADMIN, staff=True, superuser=True),
    DemoUser("ada", "acme", Role.ADMIN, groups=("ops",), staff=True),
    DemoUser("dana", "acme", Role.DESIGNER),
    DemoUser("otto", "acme", Role.OPERATOR, groups=("ops",)),
    DemoUser("olga", "acme", Role.OPERATOR, groups=("ops", "finance")),
    DemoUser("vera", "acme", Role.VIEWER),
    DemoUser("gus", "globex", Role.OPERATOR, groups=("support",)),
)
TENANT_ADMINS_GROUP = "Tenant admins"
# Apps whose models tenant admins may manage in the Django admin (scoped to their tenant).
TENANT_ADMIN_APPS = ("tenancy", "definitions", "engine", "tasks_inbox", "actions", "api")


@transaction.atomic
def load_demo() -> dict[str, Tenant]:
    """Create (or refresh) the demo tenants, users, groups and workflow templates."""
    tenants = {}
    for slug, name in DEMO_TENANTS.items():
        tenants[slug], _ = Tenant.objects.get_or_create(slug=slug, defaults={"name": name})
    tenant_admins = _tenant_admins_group()
    User = get_user_model()
    for spec in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=spec.username)
        user.email = f"{spec.username}@example.com"
        user.is_staff = spec.staff
        user.is_superuser = spec.superuser
        user.set_password(DEMO_PASSWORD)
        user.save()
        if spec.staff and not spec.superuser:
            user.groups.add(tenant_admins)
        tenant = tenants[spec.tenant]
        add_member(tenant=tenant, user=user, role=spec.role)
        for group in spec.groups:
            add_to_group(tenant=tenant, group_name=group, user=user)
    _install_templates(tenants)
    return tenants


def _tenant_admins_group() -> Group:
    group, _ = Group.objects.get_or_create(name=TENANT_ADMINS_GROUP)
    perms = Permission.objects.filter(content_type__app_label__in=TENANT_ADMIN_APPS).exclude(
        content_type__model="tenant", codename__in=["add_tenant", "delete_tenant"]
    )
    group.permissions.set(perms)
    user_perms = Permission.objects.filter(
        content_type__app_label="auth", content_type__model="user"
    )
    group.permissions.add(*user_perms)
    return group


def _install_templates(tenants: dict[str, Tenant]) -> None:
    """Load the seed workflow templates into the demo tenants."""
    from workflow_platform.definitions.templates import install_templates

    for tenant in tenants.values():
        install_templates(tenant=tenant)
