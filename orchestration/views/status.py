"""GET /orchestrate/project/{id}/status and DELETE /orchestrate/project/{id}/cronjob/{name}."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orchestrator_site.errors import error_response

from ..serializers.status import ProjectStatusSerializer, ScheduleSerializer
from ..services.insights import project_status
from ..services.schedules import deactivate_project_schedule

TAGS = ["orchestration"]


class ProjectStatusView(APIView):
    @extend_schema(
        operation_id="project_status",
        summary="Current sprint, backlog counts, schedules and the latest pattern insights.",
        responses={
            200: ProjectStatusSerializer,
            404: error_response("Unknown project."),
        },
        tags=TAGS,
    )
    def get(self, request: Request, project_id: str) -> Response:
        return Response(ProjectStatusSerializer(project_status(project_id)).data)


class ProjectScheduleView(APIView):
    @extend_schema(
        operation_id="deactivate_schedule",
        summary="Deactivate a daily-scrum schedule (the stand-in of its CronJob).",
        description=(
            "Idempotent: deactivating an inactive schedule answers 200 with its state "
            "unchanged. The schedule row is kept for history."
        ),
        responses={
            200: ScheduleSerializer,
            404: error_response("Unknown project or schedule."),
        },
        tags=TAGS,
    )
    def delete(self, request: Request, project_id: str, name: str) -> Response:
        state = deactivate_project_schedule(project_id=project_id, name=name)
        return Response(ScheduleSerializer(state).data)
