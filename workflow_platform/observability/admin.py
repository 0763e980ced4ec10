from django.contrib import admin

from .models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "pid", "seen_at"]
    search_fields = ["hostname"]

    def has_module_permission(self, request):
        return request.user.is_superuser
