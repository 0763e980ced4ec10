"""Test factories: the tenants, members, versions and instances the suites start from.

Plain functions with keyword arguments, built on the platform's public services. They
need the database (use them from a test or fixture that has ``db`` or
``transactional_db``). The conftest fixtures ``make_tenant``, ``make_member``,
``make_token``, ``publish``, ``published``, ``work`` and ``run_worker`` wrap these.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from workflow_platform.definitions import services as definitions
from workflow_platform.definitions.models import Definition, Version
from workflow_platform.engine import executor, scheduler, services
from workflow_platform.engine.models import Instance
from workflow_platform.tenancy.models import Tenant
from workflow_platform.tenancy.scoping import all_tenants, tenant_scope
from workflow_platform.tenancy.services import add_member, create_tenant, issue_api_token

FORMAT = "workflow-island/v1"
PASSWORD = "pw-for-tests"

_counter = itertools.count(1)
_keys = itertools.count(1)


# Tenants, members and tokens.


def make_tenant(
    slug: str | None = None, name: str | None = None, *, allow_private_network: bool = False
) -> Tenant:
    """A new tenant (``tenant-<n>`` unless ``slug`` is given; ``name`` defaults to the
    slug in title case). ``allow_private_network`` lets its HTTP actions call loopback,
    where the tests' dependency servers listen."""
    slug = slug or f"tenant-{next(_counter)}"
    tenant = create_tenant(slug=slug, name=name or slug.title())
    if allow_private_network:
        tenant.allow_private_network = True
        tenant.save()
    return tenant


def make_member(
    tenant: Tenant,
    role: str = "operator",
    username: str | None = None,
    *,
    password: str | None = PASSWORD,
    **extra: Any,
):
    """A new user (``user-<n>`` unless ``username`` is given) who is a member of
    ``tenant`` with ``role``. ``extra`` goes to ``create_user`` (e.g. ``is_staff=True``);
    ``password=None`` makes an unusable password, which skips the slow hashing."""
    user = get_user_model().objects.create_user(
        username=username or f"user-{next(_counter)}", password=password, **extra
    )
    add_member(tenant=tenant, user=user, role=role)
    return user


def make_token(tenant: Tenant, user, name: str = "test token"):
    """An API token of ``user`` in ``tenant``: ``(token, raw)``, raw being the secret."""
    return issue_api_token(tenant=tenant, user=user, name=name)


def api_client(tenant: Tenant, user, *, token_name: str = "test token") -> APIClient:
    """An APIClient carrying a fresh bearer token of ``user`` in ``tenant``
    (``client.user`` is ``user``)."""
    _, raw = make_token(tenant, user, name=token_name)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.user = user
    return client


# Definitions.


def publish(
    tenant: Tenant,
    document: dict,
    *,
    name: str | None = None,
    published_at: datetime | Literal["now"] | None = "now",
) -> Version:
    """Store ``document`` as the next published version of its definition, directly.

    The rows are written as published without the definitions' publish service (whose
    validation and immutability rules are the definitions' own tests): for tests about
    running workflows. ``format`` is added when missing, ``key`` defaults to ``wf-<n>``,
    the definition (made when missing) is named ``name``, else the document's ``name``,
    else its key. Returns the version as stored, with its definition loaded.
    """
    document = {"format": FORMAT, **document}
    document.setdefault("key", f"wf-{next(_keys)}")
    key = document["key"]
    if published_at == "now":
        published_at = timezone.now()
    with tenant_scope(tenant):
        definition, _ = Definition.objects.get_or_create(
            tenant=tenant, key=key, defaults={"name": name or document.get("name") or key}
        )
        # bulk_create, not save(): no draft first, no State/Transition rows built.
        (version,) = Version.objects.bulk_create(
            [
                Version(
                    tenant=tenant,
                    definition=definition,
                    number=definition.versions.count() + 1,
                    document=document,
                    status="published",
                    published_at=published_at,
                )
            ]
        )
    return Version.objects.for_tenant(tenant).select_related("definition").get(pk=version.pk)


def publish_definition(
    tenant: Tenant, document: dict, *, key: str | None = None, name: str | None = None, user=None
) -> Version:
    """Create a definition from ``document`` and publish its draft v1 through the
    definitions' services (validated; ``key`` and ``name`` default to the document's)."""
    draft = definitions.create_definition(
        tenant=tenant,
        key=key or document["key"],
        name=name or document.get("name", ""),
        document=document,
        user=user,
    )
    return definitions.publish_version(tenant=tenant, version_id=draft.pk, user=user)


# Instances.


def start(tenant: Tenant, version: Version, data: dict | None = None, **options: Any) -> Instance:
    """Start an instance of ``version``'s definition with ``data`` (default ``{}``) through
    ``engine.services.start_instance``; ``options`` are its keywords (``idempotency_key``,
    ``business_key``, ``priority``, ``user``)."""
    return services.start_instance(
        tenant=tenant, definition_key=version.definition.key, data=data or {}, **options
    )


def start_via_api(
    client, key: str, data: dict | None = None, *, expect_status: int | None = None, **headers
):
    """POST /api/instances/ for definition ``key`` with ``data`` (default ``{}``) and
    ``headers`` (e.g. ``HTTP_IDEMPOTENCY_KEY``); returns the response, after checking its
    status when ``expect_status`` is given."""
    response = client.post(
        "/api/instances/", {"definition": key, "data": data or {}}, format="json", **headers
    )
    if expect_status is not None:
        assert response.status_code == expect_status, response.json()
    return response


def reload(tenant: Tenant, obj):
    """A fresh copy of ``obj`` (an instance, a task: any tenant-scoped row) from the
    database, read in ``tenant``."""
    return type(obj).objects.for_tenant(tenant).get(pk=obj.pk)


def run_until_idle(
    *,
    rounds: int = 20,
    timers: bool = False,
    until: Literal["nothing_ready", "nothing_ran"] = "nothing_ready",
) -> int:
    """Run the engine's executor in this process for up to ``rounds`` rounds; returns the
    transitions made.

    Stops after a round when no instance is ready (``until="nothing_ready"``) or when the
    round ran nothing (``until="nothing_ran"``). With ``timers`` each round first fires
    every timer due within a day, and only ``rounds`` ends the run (``nothing_ready``).
    Nudges to a broker must be stubbed by the caller (the conftests' ``nudges``,
    ``quiet_dispatch``).
    """
    made = 0
    for _ in range(rounds):
        if timers:
            scheduler.sweep_due_timers(now=timezone.now() + timedelta(days=1))
        ran = executor.run_ready()
        made += ran
        if until == "nothing_ran":
            if not ran:
                break
        elif not timers:
            with all_tenants():
                if not Instance.objects.filter(ready=True).exists():
                    break
    return made


def run_to_end(tenant: Tenant, instance: Instance, **run: Any) -> Instance:
    """Run the executor until idle (``run`` as for :func:`run_until_idle`) and return
    ``instance`` fresh from the database."""
    run_until_idle(**run)
    return reload(tenant, instance)
