from django.urls import path

from .views import intelligence, orchestrate, registry, sprint_controls, status

urlpatterns = [
    path(
        "orchestrate/project/<str:project_id>",
        orchestrate.OrchestrateProjectView.as_view(),
        name="orchestrate-project",
    ),
    path(
        "orchestrate/jobs/<int:job_id>",
        orchestrate.OrchestrationJobView.as_view(),
        name="orchestration-job",
    ),
]

# Status, schedules and the intelligence read/config endpoints (docs/design.md §3.7).
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

# The registry API (docs/design.md §3.7).
urlpatterns += [
    path("api/projects/", registry.ProjectListView.as_view(), name="project-list"),
    path(
        "api/projects/<str:project_id>/",
        registry.ProjectDetailView.as_view(),
        name="project-detail",
    ),
    path(
        "api/projects/<str:project_id>/members/",
        registry.MemberListView.as_view(),
        name="project-member-list",
    ),
    path(
        "api/projects/<str:project_id>/members/<str:employee_id>/",
        registry.MemberDetailView.as_view(),
        name="project-member-detail",
    ),
    path(
        "api/projects/<str:project_id>/tasks/",
        registry.ProjectTaskListView.as_view(),
        name="project-task-list",
    ),
    path(
        "api/projects/<str:project_id>/sprints/",
        registry.ProjectSprintListView.as_view(),
        name="project-sprint-list",
    ),
    path(
        "api/projects/<str:project_id>/action-items/",
        registry.ProjectActionItemListView.as_view(),
        name="project-action-item-list",
    ),
    path(
        "api/action-items/<str:item_id>/",
        registry.ActionItemDetailView.as_view(),
        name="action-item-detail",
    ),
    path("api/employees/", registry.EmployeeListView.as_view(), name="employee-list"),
    path("api/tasks/<str:task_id>/", registry.TaskDetailView.as_view(), name="task-detail"),
    path("api/sprints/<str:sprint_id>/", registry.SprintDetailView.as_view(), name="sprint-detail"),
    path(
        "api/sprints/<str:sprint_id>/close",
        sprint_controls.SprintCloseView.as_view(),
        name="sprint-close",
    ),
    path(
        "api/sprints/<str:sprint_id>/extend",
        sprint_controls.SprintExtendView.as_view(),
        name="sprint-extend",
    ),
    path("api/holidays/", registry.HolidayListView.as_view(), name="holiday-list"),
    path("api/pto/", registry.PTOListView.as_view(), name="pto-list"),
]
