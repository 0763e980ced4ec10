from django.apps import AppConfig


class WorklistConfig(AppConfig):
    name = "workflow_platform.worklist"
    label = "worklist"
    verbose_name = "Worklist"

    def ready(self) -> None:
        # The ``human`` state kind registers with the engine (kinds.py); the search text
        # follows tasks and instances (receivers.py).
        from . import activation, receivers  # noqa: F401

        receivers.connect()
