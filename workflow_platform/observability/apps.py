from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "workflow_platform.observability"
    label = "observability"
    verbose_name = "Observability"
