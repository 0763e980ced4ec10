"""WSGI entry point (HTTP only; the ASGI app in asgi.py adds websockets)."""

from django.core.wsgi import get_wsgi_application

from workflow_platform.web_process import load_web_application

application = load_web_application(get_wsgi_application)
