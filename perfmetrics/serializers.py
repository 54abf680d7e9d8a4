"""Query-parameter inputs of the performance endpoints and the stored runs' JSON.

The metrics report's JSON is built by ``presenters``."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from . import conf
from .models import Component, Run, Source

MAX_PAGE_SIZE = 500


class StrictQuerySerializer(serializers.Serializer[Any]):
    """Query parameters: unknown names are refused so typos do not silently widen a query."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields) - {"cursor", "page_size"})
        if unknown:
            raise serializers.ValidationError(dict.fromkeys(unknown, "Unknown query parameter."))
        return attrs


class MetricsQuerySerializer(StrictQuerySerializer):
    minutes = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=60 * 24 * 31,
        help_text="Window: runs started in the last N minutes (default: WINDOW_MINUTES).",
    )
    last_runs = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=100_000,
        help_text="Window: the newest N runs instead of a time span.",
    )
    run_name = serializers.CharField(required=False, max_length=64)
    release = serializers.CharField(
        required=False, max_length=64, help_text="Only runs recorded under this release."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if "minutes" in attrs and "last_runs" in attrs:
            raise serializers.ValidationError(
                {"last_runs": "Give either minutes or last_runs, not both."}
            )
        if "last_runs" not in attrs:
            attrs.setdefault("minutes", int(conf.get("WINDOW_MINUTES")))
        attrs.setdefault("run_name", conf.get("DEFAULT_RUN_NAME"))
        return attrs


class RegressionQuerySerializer(StrictQuerySerializer):
    run_name = serializers.CharField(required=False, max_length=64)
    project_id = serializers.CharField(required=False, max_length=80)
    minutes = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=60 * 24 * 31,
        help_text="The recent window compared with the one before it (default: WINDOW_MINUTES).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        attrs.setdefault("minutes", int(conf.get("WINDOW_MINUTES")))
        attrs.setdefault("run_name", conf.get("DEFAULT_RUN_NAME"))
        return attrs


class RunQuerySerializer(StrictQuerySerializer):
    project_id = serializers.CharField(required=False, max_length=80)
    name = serializers.CharField(required=False, max_length=64)
    # DRF moves declared fields off the class, so this shadows nothing at run time.
    source = serializers.ChoiceField(required=False, choices=Source.choices)  # type: ignore[assignment]
    release = serializers.CharField(required=False, max_length=64)
    success = serializers.BooleanField(required=False, allow_null=True, default=None)
    dry_run = serializers.BooleanField(required=False, allow_null=True, default=None)
    breached = serializers.BooleanField(required=False, allow_null=True, default=None)
    started_after = serializers.DateTimeField(required=False)
    started_before = serializers.DateTimeField(required=False)
    # Read by the paginator; declared so that a bad value is a 400 rather than silently
    # the default size.
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        after, before = attrs.get("started_after"), attrs.get("started_before")
        if after and before and after > before:
            raise serializers.ValidationError(
                {"started_before": "Must not be earlier than started_after."}
            )
        return attrs


class ComponentSerializer(serializers.ModelSerializer[Component]):
    class Meta:
        model = Component
        fields = [
            "name",
            "parent",
            "depth",
            "offset_ms",
            "duration_ms",
            "cpu_ms",
            "success",
            "error",
        ]


class RunSerializer(serializers.ModelSerializer[Run]):
    rss_delta_bytes = serializers.IntegerField(read_only=True)
    finished_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = Run
        fields = [
            "id",
            "name",
            "project_id",
            "source",
            "labels",
            "dry_run",
            "started_at",
            "finished_at",
            "duration_ms",
            "success",
            "breached",
            "error",
            "cpu_user_ms",
            "cpu_system_ms",
            "rss_before_bytes",
            "rss_after_bytes",
            "rss_delta_bytes",
            "db_queries",
            "db_time_ms",
            "host",
            "pid",
            "overhead_ms",
            "release",
        ]


class RunDetailSerializer(RunSerializer):
    components = ComponentSerializer(many=True, read_only=True)

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "components"]


class StaffRunDetailSerializer(RunDetailSerializer):
    """A run as staff see it: with the failed run's traceback, which may name code paths
    and data; never in the list (docs/design.md §5, "Failed runs")."""

    class Meta(RunDetailSerializer.Meta):
        fields = [*RunDetailSerializer.Meta.fields, "traceback"]
