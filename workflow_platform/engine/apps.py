from django.apps import AppConfig


class EngineConfig(AppConfig):
    name = "workflow_platform.engine"
    label = "engine"
    verbose_name = "Workflow engine"
