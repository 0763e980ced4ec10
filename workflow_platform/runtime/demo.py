"""The demo tenants, their users (one per role, printed by the run command) and a few
instances of the seed templates, so the inbox, the instance list and the designer's live
view have something to show on first start.

Loading is idempotent: running it again resets the demo passwords and leaves data alone
(the demo instances are started with fixed idempotency keys).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from workflow_platform.definitions.templates import install_templates
from workflow_platform.engine.services import start_instance
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
# (tenant, template key, idempotency key, data): the worker carries them on from there.
# Some end by themselves, some wait for an operator in the inbox (support tickets, the
# backordered order, the app in review) and one trip's car booking fails so its saga
# compensates the flight and the hotel.
DEMO_STARTS = (
    ("acme", "order-processing", "demo-order-1",
     {"order_id": "A-1001", "customer": {"email": "ann@example.com"},
      "items": [{"sku": "tea", "qty": 2, "price": 4.5}], "total": 9.0}),
    ("acme", "order-processing", "demo-order-2",
     {"order_id": "A-1002", "customer": {"email": "bo@example.com"}, "backorder": True,
      "items": [{"sku": "kettle", "qty": 1, "price": 39.0}], "total": 39.0}),
    ("acme", "trip-booking", "demo-trip-1",
     {"traveller": {"name": "Ann", "email": "ann@example.com"}, "destination": "Lisbon",
      "dates": {"from": "2026-12-01", "to": "2026-12-05"}}),
    ("acme", "trip-booking", "demo-trip-2",
     {"traveller": {"name": "Cy", "email": "cy@example.com"}, "destination": "Oslo",
      "dates": {"from": "2026-12-10", "to": "2026-12-12"}, "fail_at": "car"}),
    ("acme", "support-ticket", "demo-ticket-1",
     {"ticket_id": "T-101", "subject": "Charged twice", "customer_email": "bob@example.com",
      "message": "I was charged twice for my order, please refund one payment."}),
    ("acme", "support-ticket", "demo-ticket-2",
     {"ticket_id": "T-102", "subject": "Where is my parcel?", "customer_email": "di@example.com",
      "message": "Tracking has not moved for a week."}),
    ("acme", "app-submission", "demo-app-1",
     {"package": "com.acme.tracker", "version_name": "1.0", "version_code": 1,
      "binary_url": "https://uploads.example/tracker.aab", "developer_email": "dev@example.com"}),
    ("acme", "etl-partitions", "demo-etl-1",
     {"dataset": "sales", "day": "2026-11-30", "partitions": 4}),
    ("acme", "upload-scan", "demo-upload-1",
     {"upload_id": "u-1", "filename": "report.pdf", "size": 123456}),
    ("globex", "support-ticket", "demo-ticket-1",
     {"ticket_id": "G-7", "subject": "Invoice is wrong", "customer_email": "eve@example.com",
      "message": "The invoice shows the wrong amount, this is terrible."}),
)  # fmt: skip
TENANT_ADMINS_GROUP = "Tenant admins"
# Apps whose models tenant admins may manage in the Django admin (scoped to their tenant).
TENANT_ADMIN_APPS = (
    "tenancy",
    "definitions",
    "engine",
    "worklist",
    "tasks_inbox",
    "actions",
    "webhooks",
)


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
    _start_demo_instances(tenants)
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
    for tenant in tenants.values():
        install_templates(tenant=tenant)


def _start_demo_instances(tenants: dict[str, Tenant]) -> None:
    """Start the demo instances a tenant does not have yet (idempotent by key)."""
    for slug, key, idempotency_key, data in DEMO_STARTS:
        start_instance(
            tenant=tenants[slug],
            definition_key=key,
            data=data,
            idempotency_key=idempotency_key,
            business_key=idempotency_key.removeprefix("demo-"),
        )
