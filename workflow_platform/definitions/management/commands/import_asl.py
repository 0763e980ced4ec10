"""Import an Amazon States Language machine (JSON or YAML) as a draft definition.

    python manage.py import_asl machine.asl.json --tenant acme --key order-flow

The machine is translated into our format (docs/interchange.md) and saved as a draft of
the definition ``--key`` (a new definition, or a new version of an existing one without
a draft). Every problem is printed with where it is; nothing is saved then.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from workflow_platform.definitions.services import import_document
from workflow_platform.errors import PlatformError
from workflow_platform.tenancy.models import Tenant
from workflow_platform.tenancy.scoping import tenant_scope


class Command(BaseCommand):
    help = "Import an Amazon States Language machine as a draft workflow definition."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The machine's JSON or YAML file ('-' for stdin).")
        parser.add_argument("--tenant", required=True, help="Tenant slug.")
        parser.add_argument("--key", help="The definition's key (default: the file's name).")

    def handle(self, *args, file: str, tenant: str, key: str | None, **options):
        owner = Tenant.objects.filter(slug=tenant).first()
        if owner is None:
            raise CommandError(f"There is no tenant '{tenant}'.")
        path = Path(file)
        try:
            text = sys.stdin.read() if file == "-" else path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        key = key or path.name.split(".")[0]
        try:
            with tenant_scope(owner):
                version = import_document(tenant=owner, text=text, fmt="asl", key=key)
        except PlatformError as error:
            lines = [error.message]
            for problem in error.details or []:
                lines.append(f"  {problem['path']}: {problem['message']}")
            raise CommandError("\n".join(lines)) from None
        self.stdout.write(
            f"Imported '{key}' as draft v{version.number} (version {version.pk}) for {tenant}."
        )
