"""ASGI entry point: HTTP through Django, websockets through Channels.

Websockets are checked for origin (AllowedHostsOriginValidator) and carry the Django
session (AuthMiddlewareStack); the consumers themselves join only their user's tenant
channels (tasks_inbox/consumers.py).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow_platform.settings")
# A web process: Django runs each request in a thread of its own, and persistent
# connections are per thread, so without a bound the web held 99 of 100 (docs/adr/0013).
os.environ.setdefault("WORKFLOW_DB_POOL_SIZE", "4")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from tasks_inbox.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
