"""The stored perftest history: every test run with its verdict and comparison
(docs/design.md §5, "History"). Written by the command only, so read-only here."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ..models import PerftestRun
from ..perftest.html import latency_table, phase_sections, trend_chart
from ..perftest.prometheus import comparison_state
from ..perftest.runs import compared_report, same_options_history
from .common import ReadOnlyModelAdmin, pretty_json

_COMPARISON_COLORS = {"passed": "#2e7d32", "failed": "#c62828", "none": "#666"}


@admin.register(PerftestRun)
class PerftestRunAdmin(ReadOnlyModelAdmin[PerftestRun]):
    list_display = (
        "started_at",
        "project_id",
        "label",
        "release",
        "passed",
        "comparison",
        "compared_with",
    )
    list_filter = ("passed", "comparison_passed", "project_id")
    search_fields = ("label", "release")
    date_hierarchy = "started_at"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "label",
                    "project_id",
                    "release",
                    "started_at",
                    "finished_at",
                    "passed",
                    "comparison",
                    "compared_with",
                    "checks",
                )
            },
        ),
        ("Charts", {"fields": ("charts", "trend")}),
        (
            "Options and report",
            {"classes": ("collapse",), "fields": ("options_json", "report_json")},
        ),
    )

    @admin.display(description="comparison", ordering="comparison_passed")
    def comparison(self, obj: PerftestRun) -> SafeString:
        state = comparison_state(obj.comparison_passed)
        label = "no baseline" if state == "none" else state
        return format_html(
            '<strong class="comparison-{}" style="color:{}">{}</strong>',
            state,
            _COMPARISON_COLORS[state],
            label,
        )

    @admin.display(description="checks")
    def checks(self, obj: PerftestRun) -> SafeString:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    check.get("name"),
                    "PASS" if check.get("passed") else "FAIL",
                    _number(check.get("actual")),
                    _number(check.get("target")),
                    check.get("detail"),
                )
                for check in obj.report.get("checks", [])
            ),
        )
        return format_html(
            "<table><thead><tr><th>check</th><th>result</th><th>actual</th><th>limit</th>"
            "<th>detail</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="charts (this run in colour, its baseline in grey)")
    def charts(self, obj: PerftestRun) -> SafeString:
        baseline = compared_report(obj)
        return format_html(
            "{}{}", latency_table(obj.report, baseline), phase_sections(obj.report, baseline)
        )

    @admin.display(description="p95 trend (same project and options)")
    def trend(self, obj: PerftestRun) -> SafeString:
        runs = same_options_history(obj)
        return trend_chart([(run.label, run.started_at.isoformat(), run.report) for run in runs])

    @admin.display(description="options")
    def options_json(self, obj: PerftestRun) -> SafeString:
        return pretty_json(obj.options)

    @admin.display(description="report")
    def report_json(self, obj: PerftestRun) -> SafeString:
        return pretty_json(obj.report)


def _number(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else "-"
