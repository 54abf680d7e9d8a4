from django.urls import path

from .views import orchestrate

urlpatterns = [
    path(
        "orchestrate/project/<str:project_id>",
        orchestrate.OrchestrateProjectView.as_view(),
        name="orchestrate-project",
    ),
]
