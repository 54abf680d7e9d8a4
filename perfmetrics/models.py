"""Persisted runs and their components (docs/design.md §5)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now


class Source(models.TextChoices):
    API = "api"
    PERFTEST = "perftest"
    CLI = "cli"
    # Exploratory load from a Locust run (the repository's locustfile.py).
    LOCUST = "locust"
    # Background work started by a schedule rather than a caller (a fleet-wide pass).
    SCHEDULER = "scheduler"


class Run(models.Model):
    name = models.CharField(max_length=64)
    project_id = models.CharField(max_length=80, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.API)
    labels = models.JSONField(default=dict, blank=True)
    dry_run = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    duration_ms = models.FloatField()
    success = models.BooleanField()
    # A threshold was breached (checked against the thresholds in force when recorded).
    breached = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    cpu_user_ms = models.FloatField()
    cpu_system_ms = models.FloatField()
    rss_before_bytes = models.BigIntegerField(help_text="Process-wide resident memory")
    rss_after_bytes = models.BigIntegerField(help_text="Process-wide resident memory")
    db_queries = models.PositiveIntegerField()
    db_time_ms = models.FloatField()
    host = models.CharField(max_length=64)
    pid = models.PositiveIntegerField()
    overhead_ms = models.FloatField(help_text="Time the instrumentation itself cost")
    # The release the process ran (docs/design.md §5, "Releases"); runs recorded before
    # releases were are "unknown".
    # A database default too: rows written by raw SQL (or code older than this column)
    # get one, and the migration fills existing rows with it.
    release = models.CharField(max_length=64, default="unknown", db_default="unknown")
    # A failed run's last traceback frames, at most PERFMETRICS["TRACEBACK_BYTES"]; staff only.
    traceback = models.TextField(blank=True, default="", db_default="")

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            # Global windows ("last N minutes/runs") and the runs list newest first.
            models.Index(fields=["-started_at"], name="run_recent"),
            # Per-project windows and the orchestrate response's project summaries.
            models.Index(fields=["project_id", "-started_at"], name="run_project_recent"),
            # The runs list and admin filtered to failures or breaches (rare rows).
            models.Index(
                fields=["-started_at"], name="run_failed_recent", condition=Q(success=False)
            ),
            models.Index(
                fields=["-started_at"], name="run_breached_recent", condition=Q(breached=True)
            ),
            # The admin's and the runs list's source filter: a rare source (cli) must
            # not walk the newest runs of every source to fill a page.
            models.Index(fields=["source", "-started_at"], name="run_source_recent"),
            # The admin's and the runs list's dry-run filter (rare rows).
            models.Index(
                fields=["-started_at"], name="run_dry_run_recent", condition=Q(dry_run=True)
            ),
            # The release filter, and a release's first and newest runs (regressions).
            models.Index(fields=["release", "-started_at"], name="run_release_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"

    @property
    def finished_at(self) -> datetime:
        return self.started_at + timedelta(milliseconds=self.duration_ms)

    @property
    def rss_delta_bytes(self) -> int:
        return self.rss_after_bytes - self.rss_before_bytes


class Component(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="components")
    name = models.CharField(max_length=64)
    parent = models.CharField(max_length=64, blank=True)
    depth = models.PositiveSmallIntegerField(default=0)
    offset_ms = models.FloatField(help_text="Start, from the start of the run")
    duration_ms = models.FloatField()
    cpu_ms = models.FloatField()
    success = models.BooleanField()
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run_id", "offset_ms"]
        # The ForeignKey's index serves the join of component statistics to the window's runs.

    def __str__(self) -> str:
        return self.name


class DailyRollup(models.Model):
    """Statistics of one UTC day's runs, kept when retention deletes the runs.

    One row per (day, run name, project, component); the run itself is the
    pseudo-component named after the run. ``project_id`` NULL holds the day over all
    projects together, because percentiles cannot be re-aggregated from per-project
    rows. Latency columns describe successful durations only, as the API does.
    """

    day = models.DateField()
    run_name = models.CharField(max_length=64)
    # NULL: every project together (a grouping-set row), distinct from runs without a project.
    project_id = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001
    component = models.CharField(max_length=64)
    count = models.PositiveIntegerField()
    successful = models.PositiveIntegerField()
    total_ms = models.FloatField(help_text="Sum of every duration, failed ones included")
    successful_ms = models.FloatField(help_text="Sum of successful durations")
    avg_ms = models.FloatField(null=True)
    min_ms = models.FloatField(null=True)
    max_ms = models.FloatField(null=True)
    p50_ms = models.FloatField(null=True)
    p95_ms = models.FloatField(null=True)
    p99_ms = models.FloatField(null=True)
    rolled_up_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["day", "run_name", "project_id", "component"]
        constraints = [
            # A day is rolled up once; its leading column also serves lookups by day.
            models.UniqueConstraint(
                fields=["day", "run_name", "project_id", "component"],
                name="rollup_unique_day_component",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.run_name}/{self.component} ({self.project_id or 'all'})"


class ThresholdMetric(models.TextChoices):
    TOTAL_MS = "total_ms"
    COMPONENT_MS = "component_ms"
    MEMORY_INCREASE_MB = "memory_increase_mb"
    SUCCESS_RATE = "success_rate"


class Threshold(models.Model):
    """The configured thresholds (``PERFMETRICS``), mirrored for the SQL reporting views.

    Rewritten from settings after every ``migrate`` (see ``sql_reporting.sync_thresholds``);
    edit the settings, not this table.
    """

    metric = models.CharField(max_length=32, choices=ThresholdMetric.choices)
    # The component a ``component_ms`` threshold applies to; blank for the others.
    component = models.CharField(max_length=64, blank=True)
    target = models.FloatField()

    class Meta:
        ordering = ["metric", "component"]
        constraints = [
            models.UniqueConstraint(fields=["metric", "component"], name="threshold_unique_metric")
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.component}".strip()
