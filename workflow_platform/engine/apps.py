from django.apps import AppConfig


class EngineConfig(AppConfig):
    name = "workflow_platform.engine"
    label = "engine"
    verbose_name = "Workflow engine"

    def ready(self) -> None:
        # The built-in state kinds and journal hooks register themselves on import.
        from . import state_kinds  # noqa: F401
