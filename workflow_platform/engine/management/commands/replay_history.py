"""``manage.py replay_history``: prove every instance row is the fold of its history."""

from django.core.management.base import BaseCommand, CommandError

from workflow_platform.engine.models import Instance
from workflow_platform.engine.replay import replay
from workflow_platform.tenancy.models import Tenant
from workflow_platform.tenancy.scoping import all_tenants


class Command(BaseCommand):
    help = (
        "Replay each instance's history and report any difference from its stored state; "
        "exits non-zero when there is one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="Only this tenant (slug).")
        parser.add_argument("--instance", type=int, action="append", help="Only these ids.")

    def handle(self, *args, **options):
        with all_tenants():
            instances = Instance.objects.all()
            if options["tenant"]:
                tenant = Tenant.objects.filter(slug=options["tenant"]).first()
                if tenant is None:
                    raise CommandError(f"No tenant '{options['tenant']}'.")
                instances = instances.filter(tenant=tenant)
            if options["instance"]:
                instances = instances.filter(pk__in=options["instance"])
            total = instances.count()
            found = 0
            for difference in replay(instances):
                found += 1
                self.stdout.write(str(difference))
        if found:
            raise CommandError(f"{found} difference(s) in {total} instance(s).")
        self.stdout.write(f"Replayed {total} instance(s): no difference.")
