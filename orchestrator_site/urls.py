from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from perfmetrics import views_prometheus

from . import health

urlpatterns = [
    path("health", health.live, name="health"),
    path("health/ready", health.ready, name="health-ready"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("orchestrate/intelligence/performance/", include("perfmetrics.urls")),
    path("metrics", views_prometheus.metrics, name="prometheus-metrics"),
    path("", include("orchestration.urls")),
]

# Errors outside DRF's views: JSON in the API's error contract for 400 and 404; 503 JSON
# or Django's page for 500 (orchestrator_site/handlers.py).
handler400 = "orchestrator_site.handlers.bad_request"
handler404 = "orchestrator_site.handlers.not_found"
handler500 = "orchestrator_site.handlers.server_error"
