"""POST /api/sprints/{id}/close and /extend: input and output (docs/design.md §3.7)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..models import SprintControlAudit
from ..services.sprint_controls import MAX_EXTENSION_WEEKS
from .fields import RejectUnknownFieldsMixin, StrictCharField, StrictIntegerField
from .registry import SprintSerializer


class SprintCloseSerializer(RejectUnknownFieldsMixin, serializers.Serializer[Any]):
    reason = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=500,
        default="",
        help_text="Why, for the audit.",
    )


class SprintExtendSerializer(RejectUnknownFieldsMixin, serializers.Serializer[Any]):
    weeks = StrictIntegerField(
        min_value=1, max_value=MAX_EXTENSION_WEEKS, help_text="Weeks to move the end date by."
    )
    reason = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=500,
        default="",
        help_text="Why, for the audit.",
    )


class SprintControlAuditSerializer(serializers.ModelSerializer[SprintControlAudit]):
    sprint = serializers.CharField(source="sprint_id", read_only=True)

    class Meta:
        model = SprintControlAudit
        fields = [
            "id",
            "sprint",
            "action",
            "reason",
            "previous_end_date",
            "new_end_date",
            "requested_by",
            "created_at",
        ]
        read_only_fields = fields


class SprintControlResultSerializer(serializers.Serializer[Any]):
    sprint = SprintSerializer(read_only=True, help_text="The sprint after the action.")
    audit = SprintControlAuditSerializer(read_only=True)
