from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    """How the platform runs on one machine: the process supervisor and the demo data."""

    name = "workflow_platform.runtime"
    label = "runtime"
    verbose_name = "Runtime"

    def ready(self) -> None:
        # Demo callables that need the engine register here, above it (not in actions).
        from . import app_store_actions  # noqa: F401
