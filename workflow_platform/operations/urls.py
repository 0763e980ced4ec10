"""Operator views of instances and dependencies (mounted at /operations/)."""

from django.urls import path

from . import views

app_name = "operations"

urlpatterns = [
    path("instances/", views.instance_list, name="instances"),
    path("instances/<int:instance_id>/", views.instance_detail, name="instance"),
    path("instances/<int:instance_id>/changes", views.instance_changes, name="changes"),
    path("instances/<int:instance_id>/retry", views.retry_instance, name="retry"),
    path(
        "instances/<int:instance_id>/retry-with-data", views.retry_with_data, name="retry_with_data"
    ),
    path("instances/<int:instance_id>/cancel", views.cancel_instance, name="cancel"),
    path("instances/<int:instance_id>/redrive", views.redrive_instance, name="redrive"),
    path("instances/<int:instance_id>/suspend", views.suspend_instance, name="suspend"),
    path("instances/<int:instance_id>/resume", views.resume_instance, name="resume"),
    path("dependencies/", views.dependency_list, name="dependencies"),
]
