from django.apps import AppConfig


class DefinitionsConfig(AppConfig):
    name = "workflow_platform.definitions"
    label = "definitions"
    verbose_name = "Workflow definitions"
