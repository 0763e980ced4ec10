"""Finish a key rotation: re-encrypt every action secret under the first key of
WORKFLOW_SECRETS_KEY, so the old keys can then be removed (docs/actions.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from workflow_platform.actions.encryption import InvalidToken, reencrypt
from workflow_platform.actions.models import Secret
from workflow_platform.tenancy.scoping import all_tenants


class Command(BaseCommand):
    help = "Re-encrypt every action secret under the current (first) WORKFLOW_SECRETS_KEY."

    def handle(self, *args, **options) -> None:
        unreadable = []
        count = 0
        # A system sweep over every tenant's secrets, all or nothing.
        with all_tenants(), transaction.atomic():
            for secret in Secret.objects.select_for_update().order_by("pk"):
                try:
                    secret.ciphertext = reencrypt(secret.ciphertext)
                except InvalidToken:
                    unreadable.append(f"{secret.tenant_id}/{secret.name}")
                    continue
                secret.save(update_fields=["ciphertext", "updated_at"])
                count += 1
            if unreadable:
                raise CommandError(
                    "No configured key can read these secrets (tenant/name), nothing was "
                    "changed: " + ", ".join(unreadable)
                )
        self.stdout.write(f"Re-encrypted {count} secret(s) under the current key.")
