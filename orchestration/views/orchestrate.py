"""POST /orchestrate/project/{project_id} (synchronous or asynchronous, idempotent) and
GET /orchestrate/jobs/{job_id}."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from orchestrator_site.errors import NOT_FOUND, error_response

from .. import selectors
from ..serializers.jobs import (
    IDEMPOTENCY_KEY_HEADER,
    JOB_HEADERS,
    OrchestrationJobSerializer,
    job_location,
    prefers_async,
)
from ..serializers.orchestrate import OrchestrateRequestSerializer, OrchestrateResponseSerializer
from ..serializers.run_tags import RUN_TAG_PARAMETERS, RunTagHeadersSerializer, RunTags
from ..services import idempotency
from ..services.jobs import defer_orchestration
from ..services.orchestrate import orchestrate_project


class OrchestrateProjectView(APIView):
    @extend_schema(
        operation_id="orchestrate_project",
        summary="Analyse a project, decide and act (close/open sprints, assign, schedule).",
        request=OrchestrateRequestSerializer,
        parameters=[*RUN_TAG_PARAMETERS, *JOB_HEADERS],
        responses={
            200: OrchestrateResponseSerializer,
            202: OpenApiResponse(
                OrchestrationJobSerializer,
                description="With `Prefer: respond-async`: the queued job; `Location` names it.",
            ),
            400: OpenApiResponse(
                description="Invalid body, run-tag header or Idempotency-Key: DRF field errors "
                "or `detail` and `code`."
            ),
            404: OpenApiResponse(description="Unknown project."),
            409: error_response(
                "Another orchestration of the project holds its lock past "
                'ORCHESTRATION_LOCK_TIMEOUT_MS; `code` is "orchestration_in_progress", '
                "`Retry-After` says when to retry; nothing was done."
            ),
            422: error_response(
                'The Idempotency-Key came with another request; `code` is "idempotency_key_reused".'
            ),
        },
        tags=["orchestration"],
    )
    def post(self, request: Request, project_id: str) -> Response:
        serializer = OrchestrateRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tags = RunTagHeadersSerializer.tags_of(request)
        key = idempotency.parse_key(request.headers.get(IDEMPOTENCY_KEY_HEADER))
        respond_async = prefers_async(request)
        if key is None:
            return self.act(project_id, serializer, tags, respond_async=respond_async)
        user_id = request.user.pk
        assert user_id is not None  # authenticated: IsAuthenticated ran first
        fingerprint = idempotency.fingerprint(
            path=request.path, body=request.data, respond_async=respond_async
        )
        # The key, the work and the stored answer commit together (services/idempotency.py).
        with transaction.atomic():
            stored = idempotency.claim_key(user_id=user_id, key=key, fingerprint=fingerprint)
            if stored is not None:
                headers = {"Location": stored.location} if stored.location else {}
                return Response(stored.body, status=stored.status_code, headers=headers)
            response = self.act(project_id, serializer, tags, respond_async=respond_async)
            answer = idempotency.StoredAnswer(
                status_code=response.status_code,
                body=json.loads(JSONRenderer().render(response.data)),
                location=response.headers.get("Location", ""),
            )
            idempotency.store_answer(user_id=user_id, key=key, answer=answer)
        return response

    def act(
        self,
        project_id: str,
        serializer: OrchestrateRequestSerializer,
        tags: RunTags,
        *,
        respond_async: bool,
    ) -> Response:
        if respond_async:
            job_id = defer_orchestration(
                project_id=project_id,
                options=serializer.to_options(),
                source=tags.source,
                labels=tags.labels,
            )
            job = selectors.orchestration_job(job_id)
            return Response(
                OrchestrationJobSerializer(job).data,
                status=202,
                headers={"Location": job_location(job_id)},
            )
        outcome = orchestrate_project(
            project_id=project_id,
            options=serializer.to_options(),
            source=tags.source,
            labels=tags.labels,
            lock_timeout_ms=settings.ORCHESTRATION_LOCK_TIMEOUT_MS,
        )
        return Response(OrchestrateResponseSerializer(outcome).data)


class OrchestrationJobView(APIView):
    @extend_schema(
        operation_id="orchestration_job",
        summary="The state of an asynchronous orchestration; its result once it succeeded.",
        responses={200: OrchestrationJobSerializer, 404: NOT_FOUND},
        tags=["orchestration"],
    )
    def get(self, request: Request, job_id: int) -> Response:
        return Response(OrchestrationJobSerializer(selectors.orchestration_job(job_id)).data)
