"""REST API routes (mounted at /api/); docs/api.md walks through them."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import definitions, dependencies, human_tasks, instances, members, tenants, versions
from . import webhooks_views as webhooks
from .not_found import NoSuchEndpoint
from .operations import WaitCompletionView

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("members", members.MembershipViewSet, basename="member")
router.register("groups", members.OperatorGroupViewSet, basename="group")
router.register("tokens", members.ApiTokenViewSet, basename="token")
router.register("definitions", definitions.DefinitionViewSet, basename="definition")
router.register("versions", versions.VersionViewSet, basename="version")
router.register("dependencies", dependencies.DependencyViewSet, basename="dependency")
router.register("instances", instances.InstanceViewSet, basename="instance")
router.register("tasks", human_tasks.HumanTaskViewSet, basename="task")
router.register("webhooks", webhooks.WebhookSubscriptionViewSet, basename="webhook")
router.register("webhook-deliveries", webhooks.WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("tenants", tenants.PlatformTenantViewSet, basename="tenant")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("wait-completions/", WaitCompletionView.as_view(), name="wait-completion"),
    path("", include(router.urls)),
    re_path(r"", NoSuchEndpoint.as_view(), name="no-such-endpoint"),
]
