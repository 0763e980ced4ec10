from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "workflow_platform.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        # Registers the bearer scheme with drf-spectacular.
        from . import schema  # noqa: F401
