"""Admin for recorded runs: a changelist that stays fast on millions of rows, a run page
with its components and resource usage, and a chart of p50/p95 per component over time.

Runs are measurements: the admin only reads them (retention deletes them), so no
add, change or delete permission is granted here.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .changelist import BoundedCountPaginator, TextInputFilter
from .chart_page import ChartQueryForm, chart_context
from .models import Component, Run
from .units import to_mb


class RecentProjectFilter(TextInputFilter):
    """A project id typed in, or one of the projects of the newest runs.

    Listing every distinct project id would scan the whole table; the suggestions
    come from the newest ``recent_runs`` runs only (a bounded range of run_recent).
    """

    title = "project"
    parameter_name = "project_id"
    field = "project_id"
    recent_runs = 1000
    most = 10

    def suggestions(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[str]:
        newest = Run.objects.order_by("-started_at", "-id").values("pk")[: self.recent_runs]
        rows = (
            Run.objects.filter(pk__in=newest)
            .exclude(project_id="")
            .values("project_id")
            .annotate(last=Max("started_at"))
            .order_by("-last")
            .values_list("project_id", flat=True)
        )
        return list(rows[: self.most])


class RecentReleaseFilter(RecentProjectFilter):
    """A release typed in, or one of the releases of the newest runs (run_release_recent
    serves the filter itself)."""

    title = "release"
    parameter_name = "release"
    field = "release"

    def suggestions(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[str]:
        newest = Run.objects.order_by("-started_at", "-id").values("pk")[: self.recent_runs]
        rows = (
            Run.objects.filter(pk__in=newest)
            .values("release")
            .annotate(last=Max("started_at"))
            .order_by("-last")
            .values_list("release", flat=True)
        )
        return list(rows[: self.most])


def _ms(value: float) -> str:
    return f"{value:,.1f} ms"


def _mb(value: float) -> str:
    return f"{to_mb(value):,.1f} MB"


@admin.register(Run)
class RunAdmin(admin.ModelAdmin[Run]):
    list_display = (
        "id",
        "started",
        "project_id",
        "source",
        "release",
        "duration",
        "outcome",
        "queries",
        "memory_change",
    )
    list_display_links = ("id", "started")
    # Each filter is served by an index: project by run_project_recent, failures and
    # breaches by their partial indexes, dry runs by run_dry_run_recent, source by
    # run_source_recent, dates (and the unfiltered list) by run_recent.
    list_filter = (
        RecentProjectFilter,
        RecentReleaseFilter,
        "source",
        "success",
        "breached",
        "dry_run",
        ("started_at", admin.DateFieldListFilter),
    )
    search_fields = ("project_id",)
    search_help_text = "A project id (exact), a run id, or words of the error of a failed run."
    # Run has no foreign key: every column shown comes from the run row itself.
    list_select_related = False
    # No COUNT over the whole table, no facet counts, no date drill-down (it would
    # list the distinct dates of the filtered runs).
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = BoundedCountPaginator
    date_hierarchy = None
    list_per_page = 50
    ordering = ("-started_at", "-id")
    # Sorting by another column would sort the whole filtered table.
    sortable_by = ("id", "started")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("name", "project_id", "source", "release"),
                    ("started", "finished", "duration"),
                    "outcome",
                    "error",
                    "traceback_text",
                    "labels_json",
                )
            },
        ),
        ("Components", {"fields": ("components_table",)}),
        ("Resource usage", {"fields": ("resource_usage",)}),
    )
    readonly_fields = (
        "name",
        "project_id",
        "source",
        "release",
        "started",
        "finished",
        "duration",
        "outcome",
        "error",
        "traceback_text",
        "labels_json",
        "components_table",
        "resource_usage",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Run | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Run | None = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Run], search_term: str
    ) -> tuple[QuerySet[Run], bool]:
        """Match what an index can find: the project id exactly (run_project_recent), the
        run id (primary key), or error text among failed runs only (run_failed_recent),
        so a search never reads every run of a large table."""
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q(project_id=term) | Q(success=False, error__icontains=term)
        digits = term.removeprefix("#")
        # ASCII digits only: str.isdigit() accepts "²", which int() refuses.
        if digits.isascii() and digits.isdigit() and len(digits) < 19:
            match |= Q(pk=int(digits))
        return queryset.filter(match), False

    def get_urls(self) -> list[URLPattern]:
        chart = path(
            "chart/",
            self.admin_site.admin_view(self.chart_view),
            name="perfmetrics_run_chart",
        )
        return [chart, *super().get_urls()]

    def index_links(self, request: HttpRequest) -> list[tuple[str, str]]:
        """Extra entries for the admin index (read by the project's admin site)."""
        if not self.has_view_permission(request):
            return []
        return [("Component percentile chart", reverse("admin:perfmetrics_run_chart"))]

    def chart_view(self, request: HttpRequest) -> HttpResponse:
        """p50/p95 per component over time; 400 with the form's errors on bad parameters."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ChartQueryForm.from_query(request.GET)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Component durations over time",
            "form": form,
        }
        if not form.is_valid():
            return TemplateResponse(
                request, "admin/perfmetrics/run/chart.html", context, status=400
            )
        context.update(chart_context(form.query(), form.frame))
        return TemplateResponse(request, "admin/perfmetrics/run/chart.html", context)

    @admin.display(description="started (UTC)", ordering="started_at")
    def started(self, obj: Run) -> str:
        return f"{obj.started_at:%Y-%m-%d %H:%M:%S.%f}"[:-3]

    @admin.display(description="duration")
    def duration(self, obj: Run) -> str:
        return _ms(obj.duration_ms)

    @admin.display(description="outcome")
    def outcome(self, obj: Run) -> SafeString:
        """ "ok" or "failed", then the flags that are set (a cross for "not breached" would
        read as a failure)."""
        badges = [("ok", "ok") if obj.success else ("failed", "failed")]
        if obj.breached:
            badges.append(("breached", "threshold breached"))
        if obj.dry_run:
            badges.append(("dry", "dry run"))
        return format_html_join(" ", '<span class="run-badge {}">{}</span>', badges)

    @admin.display(description="finished (UTC)")
    def finished(self, obj: Run) -> str:
        return f"{obj.finished_at:%Y-%m-%d %H:%M:%S.%f}"[:-3]

    @admin.display(description="queries")
    def queries(self, obj: Run) -> int:
        return obj.db_queries

    @admin.display(description="RSS change")
    def memory_change(self, obj: Run) -> str:
        """The worker process's resident memory change (process-wide, not this run's own)."""
        return f"{to_mb(obj.rss_delta_bytes):+,.1f} MB"

    @admin.display(description="labels")
    @admin.display(description="Traceback")
    def traceback_text(self, obj: Run) -> SafeString | str:
        """The failed run's last frames (the admin is staff-only, as the traceback must be)."""
        if not obj.traceback:
            return "-"
        return format_html('<pre class="run-traceback">{}</pre>', obj.traceback)

    def labels_json(self, obj: Run) -> SafeString:
        return format_html("<pre>{}</pre>", json.dumps(obj.labels, indent=2, sort_keys=True))

    @admin.display(description="components")
    def components_table(self, obj: Run) -> SafeString:
        components = list(obj.components.order_by("offset_ms", "id"))
        if not components:
            return format_html("<p>{}</p>", "No components were recorded for this run.")
        return format_html(
            '<table class="run-components"><thead><tr><th>Component</th><th>Parent</th>'
            "<th>Start</th><th>Duration</th><th>CPU</th><th>Outcome</th><th>Timeline</th>"
            "</tr></thead><tbody>{}</tbody></table>",
            format_html_join("", _COMPONENT_ROW, _component_rows(components, obj.duration_ms)),
        )

    @admin.display(description="resource usage")
    def resource_usage(self, obj: Run) -> SafeString:
        overhead_share = obj.overhead_ms / obj.duration_ms if obj.duration_ms else 0.0
        rows = [
            ("Memory before (process-wide RSS)", _mb(obj.rss_before_bytes)),
            ("Memory after (process-wide RSS)", _mb(obj.rss_after_bytes)),
            ("Memory change (process-wide RSS)", f"{to_mb(obj.rss_delta_bytes):+,.1f} MB"),
            ("CPU user (request thread)", _ms(obj.cpu_user_ms)),
            ("CPU system (request thread)", _ms(obj.cpu_system_ms)),
            ("Database queries", f"{obj.db_queries:,}"),
            ("Database time", _ms(obj.db_time_ms)),
            ("Worker", f"{obj.host}, pid {obj.pid}"),
            ("Instrumentation overhead", f"{_ms(obj.overhead_ms)} ({overhead_share:.1%} of run)"),
        ]
        return format_html(
            '<table class="run-resources"><tbody>{}</tbody></table>',
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )


_COMPONENT_ROW = (
    '<tr class="{}"><td style="padding-left: {}em">{}</td><td>{}</td><td>{}</td><td>{}</td>'
    '<td>{}</td><td>{}</td><td class="timeline"><span class="bar" '
    'style="margin-left: {}%; width: {}%" title="{}"></span></td></tr>'
)


def _component_rows(
    components: list[Component], run_ms: float
) -> list[tuple[str | float | int, ...]]:
    """Arguments of _COMPONENT_ROW: indented by depth, bar placed and sized on the run."""
    scale = 100.0 / run_ms if run_ms > 0 else 0.0
    rows: list[tuple[str | float | int, ...]] = []
    for c in components:
        left = min(max(c.offset_ms * scale, 0.0), 100.0)
        width = min(max(c.duration_ms * scale, 0.5), 100.0 - left)
        rows.append(
            (
                "component ok" if c.success else "component failed",
                f"{0.5 + 1.5 * c.depth:.1f}",
                c.name,
                c.parent or "-",
                _ms(c.offset_ms),
                _ms(c.duration_ms),
                _ms(c.cpu_ms),
                "ok" if c.success else f"failed: {c.error}",
                f"{left:.2f}",
                f"{width:.2f}",
                f"{c.name}: {_ms(c.duration_ms)} from {_ms(c.offset_ms)}",
            )
        )
    return rows
