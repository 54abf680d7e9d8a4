from django.urls import path

from .views import intelligence, orchestrate, status

urlpatterns = [
    path(
        "orchestrate/project/<str:project_id>",
        orchestrate.OrchestrateProjectView.as_view(),
        name="orchestrate-project",
    ),
]

# Status, schedules and the intelligence read/config endpoints (DOMAIN §3.7).
urlpatterns += [
    path(
        "orchestrate/project/<str:project_id>/status",
        status.ProjectStatusView.as_view(),
        name="project-status",
    ),
    path(
        "orchestrate/project/<str:project_id>/cronjob/<str:name>",
        status.ProjectScheduleView.as_view(),
        name="project-schedule",
    ),
    path(
        "orchestrate/intelligence/project/<str:project_id>/insights",
        intelligence.ProjectInsightsView.as_view(),
        name="project-insights",
    ),
    path(
        "orchestrate/intelligence/patterns/similar-projects/<str:project_id>",
        intelligence.SimilarProjectsView.as_view(),
        name="similar-projects",
    ),
    path(
        "orchestrate/intelligence/patterns/velocity-trends/<str:project_id>",
        intelligence.VelocityTrendsView.as_view(),
        name="velocity-trends",
    ),
    path(
        "orchestrate/intelligence/data-quality/<str:project_id>",
        intelligence.DataQualityView.as_view(),
        name="data-quality",
    ),
    path(
        "orchestrate/intelligence/project/<str:project_id>/decision-mode",
        intelligence.DecisionModeView.as_view(),
        name="decision-mode",
    ),
    path(
        "orchestrate/intelligence/decision-audit/<str:project_id>",
        intelligence.DecisionAuditView.as_view(),
        name="decision-audit",
    ),
    path(
        "orchestrate/intelligence/decision-impact/<str:project_id>",
        intelligence.DecisionImpactView.as_view(),
        name="decision-impact",
    ),
]
