"""Act on the embedded test site from outside the web process ("someone else, elsewhere").

Usage: python -m tests.browser.embedded.site setup | start <purpose> | claim <task> <user>
Run with the embedded default's environment (no DATABASE_URL, no REDIS_URL) and the
site's WORKFLOW_VAR_DIR: it writes to the same SQLite file the site's Daphne serves, and
its changes reach the site's websockets only through notification rows.
"""

from __future__ import annotations

import os
import sys

import django


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow_platform.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from tests.factories import make_member, make_tenant, publish
    from tests.integration.inbox.workflows import EXPENSE
    from workflow_platform.engine.services import start_instance
    from workflow_platform.tenancy.models import Tenant
    from workflow_platform.tenancy.scoping import tenant_scope
    from workflow_platform.tenancy.services import add_to_group
    from workflow_platform.worklist import services
    from workflow_platform.worklist.models import HumanTask

    if not settings.EMBEDDED or settings.CHANNEL_LAYER_URL:
        raise SystemExit("the embedded site runs without DATABASE_URL and REDIS_URL")
    verb, *args = argv
    if verb == "setup":
        tenant = make_tenant("acme", "Acme")
        for username in ("otto", "olga"):
            user = make_member(tenant, "operator", username)
            add_to_group(tenant=tenant, group_name="ops", user=user)
        publish(tenant, EXPENSE)
        return
    tenant = Tenant.objects.get(slug="acme")
    if verb == "start":
        instance = start_instance(
            tenant=tenant, definition_key="expense", data={"purpose": args[0]}
        )
        with tenant_scope(tenant):
            print(HumanTask.objects.get(instance=instance).pk)
    elif verb == "claim":
        user = get_user_model().objects.get(username=args[1])
        services.claim_task(tenant=tenant, task_id=int(args[0]), user=user)
    else:
        raise SystemExit(f"unknown verb {verb}")


if __name__ == "__main__":
    main(sys.argv[1:])
