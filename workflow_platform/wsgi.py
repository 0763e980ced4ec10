"""WSGI entry point (HTTP only; the ASGI app in asgi.py adds websockets)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow_platform.settings")
# A web process: its threads borrow from a bounded pool (docs/adr/0013).
os.environ.setdefault("WORKFLOW_DB_POOL_SIZE", "4")
application = get_wsgi_application()
