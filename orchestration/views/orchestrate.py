"""POST /orchestrate/project/{project_id}."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..serializers.orchestrate import OrchestrateRequestSerializer, OrchestrateResponseSerializer
from ..serializers.run_tags import RUN_TAG_PARAMETERS, RunTagHeadersSerializer
from ..services.orchestrate import orchestrate_project


class OrchestrateProjectView(APIView):
    @extend_schema(
        operation_id="orchestrate_project",
        summary="Analyse a project, decide and act (close/open sprints, assign, schedule).",
        request=OrchestrateRequestSerializer,
        parameters=RUN_TAG_PARAMETERS,
        responses={
            200: OrchestrateResponseSerializer,
            400: OpenApiResponse(description="Invalid body or run-tag header: DRF field errors."),
            404: OpenApiResponse(description="Unknown project."),
        },
        tags=["orchestration"],
    )
    def post(self, request: Request, project_id: str) -> Response:
        serializer = OrchestrateRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tags = RunTagHeadersSerializer.tags_of(request)
        outcome = orchestrate_project(
            project_id=project_id,
            options=serializer.to_options(),
            source=tags.source,
            labels=tags.labels,
        )
        return Response(OrchestrateResponseSerializer(outcome).data)
