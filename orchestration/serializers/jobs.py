"""Asynchronous orchestration: the request headers and the job's state
(docs/design.md §3.1, "Asynchronous calls and idempotency")."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request

from ..selectors.jobs import JobStatus, OrchestrationJob

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
PREFER_HEADER = "Prefer"
RESPOND_ASYNC = "respond-async"

JOB_HEADERS = [
    OpenApiParameter(
        PREFER_HEADER,
        str,
        OpenApiParameter.HEADER,
        description="`respond-async` (RFC 7240): answer 202 with the job's Location at once. "
        "Other preferences are ignored.",
    ),
    OpenApiParameter(
        IDEMPOTENCY_KEY_HEADER,
        str,
        OpenApiParameter.HEADER,
        description="1 to 255 visible ASCII characters. The same key with the same request "
        "within 24 hours answers the stored response and acts no more; with another request, "
        "422.",
    ),
]


def prefers_async(request: Request) -> bool:
    """Whether the Prefer header(s) hold ``respond-async`` (RFC 7240 §2: preferences
    are comma-separated tokens, case-insensitive, each with optional ``=value`` and
    ``;`` parameters; unknown ones are ignored)."""
    values = request.headers.get(PREFER_HEADER, "")
    for preference in values.split(","):
        token = preference.split(";", 1)[0].split("=", 1)[0].strip().lower()
        if token == RESPOND_ASYNC:
            return True
    return False


def job_location(job_id: int) -> str:
    return f"/orchestrate/jobs/{job_id}"


class OrchestrationJobSerializer(serializers.Serializer[OrchestrationJob]):
    job_id = serializers.IntegerField()
    project_id = serializers.CharField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    location = serializers.SerializerMethodField()
    run_id = serializers.IntegerField(
        allow_null=True, help_text="The recorded run, once the job has succeeded."
    )
    result = serializers.SerializerMethodField(
        help_text="Once succeeded: the body a synchronous call answers."
    )
    error = serializers.CharField(help_text="Why it failed; empty otherwise.")

    def get_location(self, job: OrchestrationJob) -> str:
        return job_location(job.job_id)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_result(self, job: OrchestrationJob) -> Any:
        return job.result
