"""Request headers that tag the recorded run: who caused it and which test run it belongs to.

They are headers, not body fields, so the public request body of docs/design.md §3.1 stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.fields import Field
from rest_framework.request import Request

from perfmetrics.models import Source

from ..wire import LABEL_HEADER, SOURCE_HEADER

LABEL_MAX_LENGTH = 64
LABEL_PATTERN = r"^[A-Za-z0-9_.:-]+$"
# The key under which the label is stored in ``perfmetrics.Run.labels``.
LABEL_KEY = "label"
# The sources a caller may claim; `scheduler` is for the workers' own passes.
CALLER_SOURCES = [(s.value, s.label) for s in Source if s != Source.SCHEDULER]


@dataclass(frozen=True)
class RunTags:
    source: str = Source.API
    labels: dict[str, str] = field(default_factory=dict)


class RunTagHeadersSerializer(serializers.Serializer[Any]):
    """Validates the two headers; errors are keyed by the header's name."""

    def get_fields(self) -> dict[str, Field[Any, Any, Any, Any]]:
        return {
            SOURCE_HEADER: serializers.ChoiceField(choices=CALLER_SOURCES, required=False),
            LABEL_HEADER: serializers.RegexField(
                LABEL_PATTERN,
                max_length=LABEL_MAX_LENGTH,
                required=False,
                error_messages={"invalid": "Only letters, digits and _ . : - are allowed."},
            ),
        }

    @classmethod
    def tags_of(cls, request: Request) -> RunTags:
        """The request's tags; raises ValidationError (400) for bad values.

        Only an authenticated caller may tag its runs; anyone else gets the defaults.
        """
        if not request.user or not request.user.is_authenticated:
            return RunTags()
        headers = {
            name: request.headers[name]
            for name in (SOURCE_HEADER, LABEL_HEADER)
            if name in request.headers
        }
        serializer = cls(data=headers)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        label = data.get(LABEL_HEADER)
        return RunTags(
            source=data.get(SOURCE_HEADER, Source.API),
            labels={LABEL_KEY: label} if label else {},
        )


RUN_TAG_PARAMETERS = [
    OpenApiParameter(
        SOURCE_HEADER,
        str,
        location=OpenApiParameter.HEADER,
        required=False,
        enum=[value for value, _ in CALLER_SOURCES],
        description="Source recorded with the run (default `api`); `perftest` for load tests.",
    ),
    OpenApiParameter(
        LABEL_HEADER,
        str,
        location=OpenApiParameter.HEADER,
        required=False,
        pattern=LABEL_PATTERN,
        description=(
            f"Label stored with the run as `labels.{LABEL_KEY}` (at most {LABEL_MAX_LENGTH} "
            "characters of letters, digits and `_ . : -`), e.g. the id of a test run."
        ),
    ),
]
