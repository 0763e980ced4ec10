"""Issue an API token from the command line and print its secret (shown only here).

    python manage.py issue_api_token --tenant acme --username ada --name ci [--days 90]

The first token of a tenant has to come from somewhere that is not the API: this
command, or the admin site. Later tokens can be issued through POST /api/tokens/.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from workflow_platform.errors import PlatformError
from workflow_platform.tenancy.models import Tenant
from workflow_platform.tenancy.services import issue_api_token


class Command(BaseCommand):
    help = "Issue an API token for a member of a tenant and print its secret once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", required=True, help="Tenant slug.")
        parser.add_argument("--username", required=True, help="A member of the tenant.")
        parser.add_argument("--name", default="cli", help="What the token is for.")
        parser.add_argument("--days", type=int, default=90, help="Valid for this many days.")

    def handle(self, *args, tenant: str, username: str, name: str, days: int, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"There is no tenant '{tenant}'.")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user '{username}'.")
        if days < 1:
            raise CommandError("--days must be at least 1.")
        try:
            _, raw = issue_api_token(
                tenant=found,
                user=user,
                name=name,
                expires_at=timezone.now() + timedelta(days=days),
            )
        except PlatformError as error:
            raise CommandError(error.message) from None
        self.stdout.write(raw)
