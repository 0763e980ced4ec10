"""Let a tenant's HTTP actions and webhooks reach private and loopback networks, or not.

    python manage.py tenant_network acme --allow-private [--reason "..."] [--by admin]
    python manage.py tenant_network acme --deny-private
    python manage.py tenant_network acme            # prints the current value

Whoever can run this command operates the platform, so no account is needed; the change
is audited (tenancy.TenantSettingChange) under ``--by``'s superuser account when given,
else under the login name of the person running it.
"""

from __future__ import annotations

import getpass

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from workflow_platform.errors import PlatformError
from workflow_platform.tenancy.models import ChangedVia, Tenant
from workflow_platform.tenancy.services import set_private_network


class Command(BaseCommand):
    help = "Show, allow or deny a tenant's access to private and loopback networks."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="Tenant slug.")
        choice = parser.add_mutually_exclusive_group()
        choice.add_argument(
            "--allow-private", dest="allow", action="store_const", const=True,
            help="Let its HTTP actions and webhooks call private and loopback addresses.",
        )  # fmt: skip
        choice.add_argument(
            "--deny-private", dest="allow", action="store_const", const=False,
            help="Refuse them again (the default for every tenant).",
        )  # fmt: skip
        parser.add_argument("--reason", default="", help="Why (kept in the audit trail).")
        parser.add_argument("--by", default="", help="A superuser to record the change under.")

    def handle(self, *args, slug: str, allow: bool | None, reason: str, by: str, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"There is no tenant '{slug}'.")
        if allow is None:
            self.stdout.write(self._describe(tenant.slug, tenant.allow_private_network))
            return
        user = None
        if by:
            user = get_user_model().objects.filter(username=by).first()
            if user is None:
                raise CommandError(f"There is no user '{by}'.")
        try:
            tenant, changed = set_private_network(
                tenant=tenant, allow=allow, by=user, via=ChangedVia.COMMAND,
                actor=f"{_login_name()} (manage.py)", reason=reason,
            )  # fmt: skip
        except PlatformError as error:
            raise CommandError(error.message) from None
        state = self._describe(tenant.slug, tenant.allow_private_network)
        self.stdout.write(state if changed else f"{state} (unchanged)")

    @staticmethod
    def _describe(slug: str, allowed: bool) -> str:
        verb = "may" if allowed else "may not"
        return f"{slug}: HTTP actions and webhooks {verb} reach private and loopback networks"


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return "unknown user"
