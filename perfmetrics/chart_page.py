"""The admin chart page's query (validated from the URL) and what it shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone

from . import charts, selectors
from .values import BucketPercentiles

BUCKETS = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "1d": timedelta(days=1),
}
# A day of hours: cheap even on a busy service; longer windows are a click away.
DEFAULTS = {"days": "1", "bucket": "1h"}
# More points than this per series would not be readable at the panel's width.
MAX_BUCKETS = 750
# Exact percentiles sort every duration of the window (a run and ~10 components
# each; 120,000 runs took 5-7 s on a busy 2-core machine): past this many runs the
# page asks for a shorter window or one project instead of taking many seconds.
MAX_RUNS = 100_000


@dataclass(frozen=True)
class ChartQuery:
    days: int
    bucket: timedelta
    project_id: str | None

    def frame(self, *, now: datetime) -> charts.Frame:
        """The window: ``days`` back from the end of the bucket holding ``now``.

        Buckets align on multiples of their length since the epoch (whole hours,
        midnight UTC), and a day is a multiple of every bucket, so ``since`` aligns too.
        """
        epoch = datetime(1970, 1, 1, tzinfo=now.tzinfo)
        until = now - (now - epoch) % self.bucket + self.bucket
        return charts.Frame(
            since=until - timedelta(days=self.days), until=until, bucket=self.bucket
        )


class ChartQueryForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=90, help_text="Window length in days.")
    bucket = forms.ChoiceField(choices=[(key, key) for key in BUCKETS])
    project_id = forms.CharField(max_length=80, required=False, help_text="Exact project id.")
    # The validated window, set by clean().
    frame: charts.Frame

    @classmethod
    def from_query(cls, query: QueryDict) -> ChartQueryForm:
        """The form bound to the URL's parameters, defaults filling the missing ones."""
        given = {key: query[key] for key in ("days", "bucket", "project_id") if key in query}
        return cls({**DEFAULTS, **given})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        days, bucket = cleaned.get("days"), cleaned.get("bucket")
        if days is None or bucket is None or "project_id" not in cleaned:
            return cleaned  # the field errors say what is wrong
        buckets = timedelta(days=days) // BUCKETS[bucket]
        if buckets > MAX_BUCKETS:
            raise forms.ValidationError(
                f"{days} days in {bucket} buckets make {buckets} points per series; "
                f"at most {MAX_BUCKETS}: pick a larger bucket or a shorter window."
            )
        query = self._query(cleaned)
        frame = query.frame(now=timezone.now())
        if selectors.has_more_runs_than(
            MAX_RUNS, since=frame.since, until=frame.until, project_id=query.project_id
        ):
            raise forms.ValidationError(
                f"More than {MAX_RUNS:,} runs started in the chosen {days}-day window: "
                "pick a shorter window or one project."
            )
        self.frame = frame
        return cleaned

    @staticmethod
    def _query(cleaned: dict[str, Any]) -> ChartQuery:
        return ChartQuery(
            days=cleaned["days"],
            bucket=BUCKETS[cleaned["bucket"]],
            project_id=cleaned["project_id"].strip() or None,
        )

    def query(self) -> ChartQuery:
        """The validated query; call after ``is_valid()`` returned True."""
        return self._query(self.cleaned_data)


def chart_series(rows: list[BucketPercentiles]) -> list[charts.Series]:
    """One series per name: the runs' own series first, then components by name."""
    ordered = sorted(rows, key=lambda r: (not r.is_run, r.name, r.start))
    return [
        charts.Series(
            name=name,
            points=tuple(
                charts.Point(start=r.start, p50_ms=r.p50_ms, p95_ms=r.p95_ms, count=r.count)
                for r in group
            ),
        )
        for (_, name), group in groupby(ordered, key=lambda r: (not r.is_run, r.name))
    ]


def chart_context(query: ChartQuery, frame: charts.Frame) -> dict[str, Any]:
    """Template context of the chart page: the window, the series and their SVG panels."""
    rows = selectors.component_percentiles_over_time(
        since=frame.since, until=frame.until, bucket=frame.bucket, project_id=query.project_id
    )
    series = chart_series(rows)
    return {
        "frame": frame,
        "query": query,
        "series": series,
        "panels": charts.render_panels(series, frame),
    }
