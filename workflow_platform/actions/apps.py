from django.apps import AppConfig

from workflow_platform.definitions import known_callables

from .registry import callable_names, load_builtins


class ActionsConfig(AppConfig):
    name = "workflow_platform.actions"
    label = "actions"
    verbose_name = "Action types"

    def ready(self) -> None:
        # The built-in action types and demo callables register on import, which needs
        # the models loaded; then the definitions layer learns which callables exist.
        load_builtins()
        known_callables.provide(callable_names)
