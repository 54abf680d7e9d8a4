"""GET/POST /orchestrate/intelligence/...: pattern views, decision mode, audit, impact."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orchestrator_site.errors import error_response

from .. import selectors
from ..models import DecisionAudit
from ..serializers.intelligence import (
    DataQualityReportSerializer,
    DecisionAuditQuerySerializer,
    DecisionAuditSerializer,
    DecisionConfigSerializer,
    DecisionConfigUpdateSerializer,
    DecisionImpactQuerySerializer,
    DecisionImpactSerializer,
    ProjectInsightsSerializer,
    SimilarProjectsSerializer,
    VelocityTrendsSerializer,
)
from ..services.decision_config import set_decision_config
from ..services.insights import project_insights, velocity_history

TAGS = ["intelligence"]
NOT_FOUND = error_response('Unknown project; `code` is "not_found".')
BAD_INPUT = OpenApiResponse(description="Invalid input: DRF field errors naming each field.")


class ProjectInsightsView(APIView):
    @extend_schema(
        operation_id="project_insights",
        summary="The full pattern analysis of a project (docs/design.md §4).",
        responses={200: ProjectInsightsSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request: Request, project_id: str) -> Response:
        return Response(ProjectInsightsSerializer(project_insights(project_id)).data)


class SimilarProjectsView(APIView):
    @extend_schema(
        operation_id="similar_projects",
        summary="Projects whose history resembles this one's, and what worked for them.",
        responses={200: SimilarProjectsSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request: Request, project_id: str) -> Response:
        return Response(SimilarProjectsSerializer(project_insights(project_id)).data)


class VelocityTrendsView(APIView):
    @extend_schema(
        operation_id="velocity_trends",
        summary="The velocity trend over the last (up to 10) closed sprints.",
        responses={200: VelocityTrendsSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request: Request, project_id: str) -> Response:
        return Response(VelocityTrendsSerializer(velocity_history(project_id)).data)


class DataQualityView(APIView):
    @extend_schema(
        operation_id="data_quality",
        summary="How far the project's own history can be trusted.",
        responses={200: DataQualityReportSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request: Request, project_id: str) -> Response:
        return Response(DataQualityReportSerializer(project_insights(project_id)).data)


class DecisionModeView(APIView):
    @extend_schema(
        operation_id="decision_mode_read",
        summary="The project's decision configuration: its own, or the settings default.",
        responses={200: DecisionConfigSerializer, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request: Request, project_id: str) -> Response:
        return Response(
            DecisionConfigSerializer(selectors.project_decision_config(project_id)).data
        )

    @extend_schema(
        operation_id="decision_mode_set",
        summary="Set the project's decision configuration (a partial update).",
        description=(
            "Omitted fields keep their current effective value (the project's own, or the "
            "default); the result is stored as the project's own configuration."
        ),
        request=DecisionConfigUpdateSerializer,
        responses={200: DecisionConfigSerializer, 400: BAD_INPUT, 404: NOT_FOUND},
        tags=TAGS,
    )
    def post(self, request: Request, project_id: str) -> Response:
        serializer = DecisionConfigUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stored = set_decision_config(project_id=project_id, changes=serializer.to_changes())
        return Response(DecisionConfigSerializer(stored).data)


class DecisionAuditView(ListAPIView[DecisionAudit]):
    serializer_class = DecisionAuditSerializer
    filter_backends: list[Any] = []

    @extend_schema(
        operation_id="decision_audit",
        summary="The project's decision audit trail, newest first, paged.",
        parameters=[DecisionAuditQuerySerializer],
        responses={200: DecisionAuditSerializer(many=True), 400: BAD_INPUT, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[DecisionAudit]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no project
            return DecisionAudit.objects.none()
        query = DecisionAuditQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.decision_audits(self.kwargs["project_id"], dry_run=query.dry_run_filter())


class DecisionImpactView(APIView):
    @extend_schema(
        operation_id="decision_impact",
        summary="Completion of sprints opened by intelligence-enhanced vs rule-based decisions.",
        description=(
            "Closed sprints whose start_date is within [start_date, end_date] (both optional), "
            "grouped by the decision source that opened them."
        ),
        parameters=[DecisionImpactQuerySerializer],
        responses={200: DecisionImpactSerializer, 400: BAD_INPUT, 404: NOT_FOUND},
        tags=TAGS,
    )
    def get(self, request: Request, project_id: str) -> Response:
        query = DecisionImpactQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        impact = selectors.decision_impact(
            project_id,
            start=query.validated_data.get("start_date"),
            end=query.validated_data.get("end_date"),
        )
        return Response(DecisionImpactSerializer(impact).data)
