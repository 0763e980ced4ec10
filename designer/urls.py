from django.urls import path

from . import document_views, panels, views

app_name = "designer"

urlpatterns = [
    path("", views.index, name="index"),
    path("new", views.create, name="create"),
    path("import", views.import_definition, name="import"),
    path("install-templates", views.install_seed_templates, name="install_templates"),
    path("versions/<int:version_id>/", views.editor, name="editor"),
    path("versions/<int:version_id>/export", views.export, name="export"),
    path("versions/<int:version_id>/validate", document_views.validate, name="validate"),
    path("versions/<int:version_id>/save", document_views.save, name="save"),
    path("versions/<int:version_id>/publish", document_views.publish, name="publish"),
    path("versions/<int:version_id>/new-draft", document_views.new_draft, name="new_draft"),
    path("versions/<int:version_id>/merge", document_views.merge, name="merge"),
    path("versions/<int:version_id>/dry-run", document_views.dry_run, name="dry_run"),
    path("versions/<int:version_id>/live", document_views.live, name="live"),
    path("versions/<int:version_id>/diff/<int:other_id>", document_views.diff, name="diff"),
    path("versions/<int:version_id>/panels/state", panels.state_panel, name="panel_state"),
    path(
        "versions/<int:version_id>/panels/transition",
        panels.transition_panel,
        name="panel_transition",
    ),
    path("versions/<int:version_id>/panels/action", panels.action_panel, name="panel_action"),
    path(
        "versions/<int:version_id>/panels/dependency",
        panels.dependency_panel,
        name="panel_dependency",
    ),
    path("versions/<int:version_id>/start", panels.start, name="start"),
]
