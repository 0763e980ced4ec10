from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "workflow_platform.actions"
    label = "actions"
    verbose_name = "Action types"

    def ready(self) -> None:
        # Register the built-in action types and demo callables once the apps are loaded.
        from .registry import load_builtins

        load_builtins()
