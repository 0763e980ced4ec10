from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "workflow_platform.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy and access"
