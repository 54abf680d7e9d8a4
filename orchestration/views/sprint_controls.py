"""Manual sprint controls (docs/design.md §3.7, "Sprint controls")."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orchestrator_site.errors import CONFLICT, NOT_FOUND

from .. import selectors
from ..models import SprintControlAudit
from ..serializers.sprint_controls import (
    SprintCloseSerializer,
    SprintControlResultSerializer,
    SprintExtendSerializer,
)
from ..services import sprint_controls

BAD_INPUT = OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid body: one key per field.")


def _result(audit: SprintControlAudit) -> Response:
    sprint = selectors.get_sprint_detail(audit.sprint_id)
    return Response(SprintControlResultSerializer({"sprint": sprint, "audit": audit}).data)


@extend_schema(tags=["registry"])
class SprintCloseView(APIView):
    @extend_schema(
        operation_id="close_sprint",
        summary="Close a sprint in progress now, as orchestration closes it.",
        request=SprintCloseSerializer,
        responses={
            200: SprintControlResultSerializer,
            400: BAD_INPUT,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request: Request, sprint_id: str) -> Response:
        serializer = SprintCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        audit = sprint_controls.close_sprint_now(
            sprint_id=sprint_id,
            reason=serializer.validated_data["reason"],
            requested_by=request.user.get_username(),
        )
        return _result(audit)


@extend_schema(tags=["registry"])
class SprintExtendView(APIView):
    @extend_schema(
        operation_id="extend_sprint",
        summary="Move the end date of a sprint in progress 1 to 4 weeks later.",
        request=SprintExtendSerializer,
        responses={
            200: SprintControlResultSerializer,
            400: BAD_INPUT,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request: Request, sprint_id: str) -> Response:
        serializer = SprintExtendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        audit = sprint_controls.extend_sprint(
            sprint_id=sprint_id,
            weeks=serializer.validated_data["weeks"],
            reason=serializer.validated_data["reason"],
            requested_by=request.user.get_username(),
        )
        return _result(audit)
