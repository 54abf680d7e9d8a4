"""Read-only performance endpoints: the metrics report and the run history."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Run
from .presenters import (
    MetricsReportDict,
    RegressionReportDict,
    present_regressions,
    present_report,
    schema_of,
)
from .reports import metrics_report, regression_report
from .serializers import (
    MAX_PAGE_SIZE,
    MetricsQuerySerializer,
    RegressionQuerySerializer,
    RunDetailSerializer,
    RunQuerySerializer,
    RunSerializer,
    StaffRunDetailSerializer,
)
from .values import Window

BAD_QUERY = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Invalid or unknown query parameter: one key per parameter.",
)
METRICS_REPORT = OpenApiResponse(
    schema_of(MetricsReportDict), description="The report (see `perfmetrics.presenters`)."
)
NOT_FOUND = OpenApiResponse(
    {
        "type": "object",
        "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
        "required": ["detail"],
    },
    description="No run with this id.",
)


class MetricsView(APIView):
    """The window's report over every project (``project_id`` None) or one project."""

    @extend_schema(
        operation_id="performance_metrics",
        summary="Statistics, threshold checks and recommendations over a window of runs.",
        parameters=[MetricsQuerySerializer],
        responses={200: METRICS_REPORT, 400: BAD_QUERY},
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
            release=query.validated_data.get("release"),
        )
        report = metrics_report(window)
        return Response(present_report(report))


class ProjectMetricsView(MetricsView):
    @extend_schema(
        operation_id="performance_metrics_project",
        summary="Statistics, threshold checks and recommendations over one project's runs.",
        parameters=[MetricsQuerySerializer],
        responses={200: METRICS_REPORT, 400: BAD_QUERY},
        tags=["performance"],
    )
    def get(self, request: Request, project_id: str | None = None) -> Response:
        return super().get(request, project_id)


class RegressionsView(APIView):
    """Regressions per component, by a rank test on the stored samples (docs/design.md §5)."""

    @extend_schema(
        operation_id="performance_regressions",
        summary="The latest release against the one before, and the recent window against "
        "the previous one, per component.",
        parameters=[RegressionQuerySerializer],
        responses={
            200: OpenApiResponse(schema_of(RegressionReportDict), description="The comparisons."),
            400: BAD_QUERY,
        },
        tags=["performance"],
    )
    def get(self, request: Request) -> Response:
        query = RegressionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = regression_report(
            name=query.validated_data["run_name"],
            project_id=query.validated_data.get("project_id"),
            minutes=query.validated_data["minutes"],
        )
        return Response(present_regressions(report))


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


@extend_schema(
    responses={200: StaffRunDetailSerializer, 404: NOT_FOUND},
    description="`traceback` (a failed run's last frames) is present for staff users only.",
    tags=["performance"],
)
class RunDetailView(RetrieveAPIView[Run]):
    serializer_class = RunDetailSerializer
    queryset = Run.objects.prefetch_related("components")

    def get_serializer_class(self) -> type[RunDetailSerializer]:
        user = self.request.user
        return StaffRunDetailSerializer if user.is_staff else RunDetailSerializer
