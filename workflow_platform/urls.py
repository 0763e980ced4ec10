from django.contrib import admin
from django.urls import include, path

from tasks_inbox.home import home
from workflow_platform.api.health import healthz, livez
from workflow_platform.observability.views import metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("workflow_platform.api.urls")),
    path("designer/", include("designer.urls")),
    path("inbox/", include("tasks_inbox.urls")),
    path("operations/", include("workflow_platform.operations.urls")),
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("metrics", metrics, name="metrics"),
    path("", home, name="home"),  # counts what the layers above tenancy hold
    path("", include("workflow_platform.tenancy.urls")),
]

# A crash anywhere (middleware included) under /api/ answers an RFC 9457 problem.
handler500 = "workflow_platform.api.exceptions.server_error"
