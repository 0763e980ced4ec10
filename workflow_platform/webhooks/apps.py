from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outbound webhooks: subscriptions, the delivery log and the signed deliveries.

    It listens to the engine's and the worklist's change signals; nothing below it
    knows it exists (docs/api.md, "Webhooks").
    """

    name = "workflow_platform.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the signal receivers)
