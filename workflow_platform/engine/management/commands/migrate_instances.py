"""``manage.py migrate_instances``: move running instances to another version (dry run first).

A thin shell over :func:`workflow_platform.engine.migration.migrate_instances`: it prints
the per-instance report and changes nothing unless ``--apply`` is given.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from workflow_platform.engine.migration import migrate_instances
from workflow_platform.errors import PlatformError
from workflow_platform.tenancy.models import Tenant


class Command(BaseCommand):
    help = (
        "Report (dry run) or perform (--apply) the move of instances to another published "
        "version of their workflow, with an explicit state mapping."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Tenant slug.")
        parser.add_argument("--to-version", type=int, required=True, help="Target version id.")
        parser.add_argument("--instance", type=int, action="append", required=True,
                            help="An instance id (repeat for more).")  # fmt: skip
        parser.add_argument("--map", action="append", default=[], metavar="OLD=NEW",
                            help="Map a state of the old version to one of the new.")  # fmt: skip
        parser.add_argument("--apply", action="store_true", help="Move them (default: dry run).")

    def handle(self, *args, **options):
        tenant = Tenant.objects.filter(slug=options["tenant"]).first()
        if tenant is None:
            raise CommandError(f"No tenant '{options['tenant']}'.")
        mapping = {}
        for pair in options["map"]:
            old, sep, new = pair.partition("=")
            if not sep or not old or not new:
                raise CommandError(f"--map takes OLD=NEW, not '{pair}'.")
            mapping[old] = new
        try:
            report = migrate_instances(
                tenant=tenant,
                instance_ids=options["instance"],
                to_version_id=options["to_version"],
                state_mapping=mapping,
                dry_run=not options["apply"],
            )
        except PlatformError as error:
            if error.details:
                self.stdout.write(json.dumps(error.details, indent=2))
            raise CommandError(f"{error.code}: {error.message}") from error
        self.stdout.write(json.dumps(report.as_dict(), indent=2))
        if report.dry_run and not report.ok:
            raise CommandError("The dry run found problems; nothing would be moved.")
