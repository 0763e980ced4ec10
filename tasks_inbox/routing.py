"""Websocket routes of the inbox (see consumers.py); imported by workflow_platform/asgi.py."""

from django.urls import path

from .consumers import InboxConsumer

websocket_urlpatterns = [
    path("ws/inbox/", InboxConsumer.as_asgi()),
]
