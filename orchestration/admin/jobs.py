"""Background work in the admin: job outcomes (errors of failed jobs, results of
orchestration jobs) and idempotency keys. procrastinate's own admin lists the jobs
themselves, their status and events (Procrastinate > Jobs)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ..models import IdempotentRequest, JobOutcome
from .common import LargeTableMixin, ReadOnlyModelAdmin, pretty_json


@admin.register(JobOutcome)
class JobOutcomeAdmin(LargeTableMixin, ReadOnlyModelAdmin[JobOutcome]):
    list_display = (
        "job_id",
        "job_link",
        "task_name",
        "project_id",
        "run_id",
        "failed",
        "finished_at",
    )
    list_filter = ("task_name",)
    search_fields = ("=job_id", "=project_id")
    fields = (
        "job_id",
        "job_link",
        "task_name",
        "project_id",
        "run_id",
        "error",
        "finished_at",
        "body_json",
    )

    @admin.display(description="failed", boolean=True)
    def failed(self, obj: JobOutcome) -> bool:
        return bool(obj.error)

    @admin.display(description="procrastinate job")
    def job_link(self, obj: JobOutcome) -> SafeString:
        url = reverse("admin:procrastinate_procrastinatejob_change", args=[obj.job_id])
        return format_html('<a href="{}">job {}</a>', url, obj.job_id)

    @admin.display(description="response body")
    def body_json(self, obj: JobOutcome) -> SafeString:
        return pretty_json(obj.body)


@admin.register(IdempotentRequest)
class IdempotentRequestAdmin(LargeTableMixin, ReadOnlyModelAdmin[IdempotentRequest]):
    list_display = ("key", "user", "status_code", "location", "created_at")
    list_select_related = ("user",)
    search_fields = ("=key",)
    fields = ("key", "user", "fingerprint", "status_code", "location", "created_at", "body_json")

    @admin.display(description="stored body")
    def body_json(self, obj: IdempotentRequest) -> SafeString:
        return pretty_json(obj.body)
