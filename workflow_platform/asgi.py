"""ASGI entry point: HTTP through Django, websockets through Channels.

Websockets are checked for origin (AllowedHostsOriginValidator) and carry the Django
session (AuthMiddlewareStack); the consumers themselves join only their user's tenant
channels (tasks_inbox/consumers.py).
"""

from django.core.asgi import get_asgi_application

from workflow_platform.web_process import load_web_application

# A web process: its requests borrow database connections from a bounded pool.
django_asgi_app = load_web_application(get_asgi_application)

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
