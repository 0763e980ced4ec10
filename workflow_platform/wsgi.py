"""WSGI entry point (HTTP only; the ASGI app in asgi.py adds websockets)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow_platform.settings")
application = get_wsgi_application()
