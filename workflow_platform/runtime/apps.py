from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    """How the platform runs on one machine: the process supervisor and the demo data."""

    name = "workflow_platform.runtime"
    label = "runtime"
    verbose_name = "Runtime"
