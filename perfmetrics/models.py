"""Persisted runs and their components (DOMAIN §5)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q


class Source(models.TextChoices):
    API = "api"
    PERFTEST = "perftest"
    CLI = "cli"


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
