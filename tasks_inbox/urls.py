from django.urls import path

from . import views

app_name = "inbox"

urlpatterns = [
    path("", views.index, name="index"),
    path("rows/", views.rows, name="rows"),
    path("counts/", views.counts, name="counts"),
    path("bulk-claim/", views.bulk_claim, name="bulk-claim"),
    path("away/", views.away, name="away"),
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
    path("tasks/<int:task_id>/status/", views.task_status, name="task-status"),
    path("tasks/<int:task_id>/complete/", views.complete, name="complete"),
    path(
        "tasks/<int:task_id>/<str:verb>/",
        views.act,
        name="act",
    ),
]
