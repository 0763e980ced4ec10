"""Run one inbox service in a separate process (the tests' "someone else, elsewhere").

Usage: python -m tests.integration.inbox.other_process claim <tenant-slug> <task-id> <user>
The database and channel layer come from the environment, as for any platform process.
"""

from __future__ import annotations

import os
import sys

import django


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow_platform.settings")
    django.setup()
    from django.contrib.auth import get_user_model

    from workflow_platform.tenancy.models import Tenant
    from workflow_platform.worklist import services

    verb, slug, task_id, username = argv
    tenant = Tenant.objects.get(slug=slug)
    user = get_user_model().objects.get(username=username)
    if verb != "claim":
        raise SystemExit(f"unknown verb {verb}")
    services.claim_task(tenant=tenant, task_id=int(task_id), user=user)


if __name__ == "__main__":
    main(sys.argv[1:])
