from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Server-rendered operator pages over the engine's services and selectors."""

    name = "workflow_platform.operations"
    label = "operations"
