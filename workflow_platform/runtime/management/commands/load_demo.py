from django.core.management.base import BaseCommand

from workflow_platform.runtime.demo import DEMO_PASSWORD, DEMO_USERS, load_demo


class Command(BaseCommand):
    help = "Create or refresh the demo tenants, one user per role, and the seed templates."

    def handle(self, *args, **options):
        load_demo()
        if options["verbosity"] == 0:
            return
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        for user in DEMO_USERS:
            self.stdout.write(f"  {user.username:<8} {user.tenant:<8} {user.role}")
        self.stdout.write(f"  password for all: {DEMO_PASSWORD}")
