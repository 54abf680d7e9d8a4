"""Read-only performance endpoints: the metrics report and the run history."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Run
from .reports import MetricsReport, metrics_report
from .selectors import Window
from .serializers import (
    MAX_PAGE_SIZE,
    MetricsQuerySerializer,
    MetricsResponseSerializer,
    RunDetailSerializer,
    RunQuerySerializer,
    RunSerializer,
)

BAD_QUERY = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Invalid or unknown query parameter: one key per parameter.",
)
NOT_FOUND = OpenApiResponse(
    {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
    description="No run with this id.",
)


def present_report(report: MetricsReport) -> dict[str, Any]:
    """The report in the shape of MetricsResponseSerializer."""
    stats = report.statistics
    components = dict(stats.components)
    components[stats.window.name or "run"] = stats.total
    return {
        "project_id": report.project_id,
        "window": {**stats.window.describe(), "since": stats.since, "until": stats.until},
        "runs_analyzed": stats.total.count,
        "total_execution_time_ms": stats.total.total_ms,
        "component_metrics": components,
        "resource_usage": stats.resources,
        "performance_thresholds": {check.name: check for check in report.checks},
        "threshold_met": report.threshold_met,
        "recommendations": list(report.recommendations),
    }


class MetricsView(APIView):
    """The window's report over every project (``project_id`` None) or one project."""

    @extend_schema(
        operation_id="performance_metrics",
        summary="Statistics, threshold checks and recommendations over a window of runs.",
        parameters=[MetricsQuerySerializer],
        responses={200: MetricsResponseSerializer, 400: BAD_QUERY},
        tags=["performance"],
    )
    def get(self, request: Request, project_id: str | None = None) -> Response:
        query = MetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        window = Window(
            minutes=query.validated_data.get("minutes"),
            last_runs=query.validated_data.get("last_runs"),
            project_id=project_id,
            name=query.validated_data["run_name"],
        )
        report = metrics_report(window)
        return Response(MetricsResponseSerializer(present_report(report)).data)


class ProjectMetricsView(MetricsView):
    @extend_schema(
        operation_id="performance_metrics_project",
        summary="Statistics, threshold checks and recommendations over one project's runs.",
        parameters=[MetricsQuerySerializer],
        responses={200: MetricsResponseSerializer, 400: BAD_QUERY},
        tags=["performance"],
    )
    def get(self, request: Request, project_id: str | None = None) -> Response:
        return super().get(request, project_id)


class RunPagination(CursorPagination):
    ordering = ("-started_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


@extend_schema(
    parameters=[
        RunQuerySerializer,
        OpenApiParameter("cursor", str, description="Opaque cursor from `next`/`previous`."),
    ],
    responses={200: RunSerializer(many=True), 400: BAD_QUERY},
    tags=["performance"],
)
class RunListView(ListAPIView[Run]):
    """Recorded runs, newest first; cursor-paged so it never counts the whole table."""

    serializer_class = RunSerializer
    pagination_class = RunPagination
    filter_backends = ()

    def get_queryset(self) -> QuerySet[Run]:
        query = RunQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        filters = {
            k: v for k, v in query.validated_data.items() if v is not None and k != "page_size"
        }
        lookups = {
            "started_after": "started_at__gte",
            "started_before": "started_at__lte",
        }
        return Run.objects.filter(**{lookups.get(k, k): v for k, v in filters.items()})


@extend_schema(responses={200: RunDetailSerializer, 404: NOT_FOUND}, tags=["performance"])
class RunDetailView(RetrieveAPIView[Run]):
    serializer_class = RunDetailSerializer
    queryset = Run.objects.prefetch_related("components")
