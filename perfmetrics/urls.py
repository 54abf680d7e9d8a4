from django.urls import path

from . import views

urlpatterns = [
    path("metrics", views.MetricsView.as_view(), name="performance-metrics"),
    path(
        "metrics/<str:project_id>",
        views.ProjectMetricsView.as_view(),
        name="performance-metrics-project",
    ),
    path("regressions", views.RegressionsView.as_view(), name="performance-regressions"),
    path("runs", views.RunListView.as_view(), name="performance-runs"),
    path("runs/<int:pk>", views.RunDetailView.as_view(), name="performance-run"),
]
