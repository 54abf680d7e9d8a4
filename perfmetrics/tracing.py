"""Runs exported as OpenTelemetry traces over OTLP/HTTP (docs/design.md §5, "Traces").

Imported only when ``PERFMETRICS["TRACING"]`` is on (``services.record_run`` imports it
lazily), so a process without tracing never loads OpenTelemetry. Each recorded run becomes
one trace, sent once its record commits: a span for the run and a child span for each
component (nested as measured), with the times measured, so tracing adds nothing to the
run's own duration. The exporter reads ``OTEL_EXPORTER_OTLP_ENDPOINT`` (and the other
``OTEL_*`` variables) itself and sends from a background thread.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from . import conf
from .values import ComponentResult, RunResult

_lock = threading.Lock()
_provider: TracerProvider | None = None
_PROPAGATOR = TraceContextTextMapPropagator()


def provider(exporter: SpanExporter | None = None) -> TracerProvider:
    """This process's tracer provider, created on first use (after gunicorn forked)."""
    global _provider
    with _lock:
        if _provider is None:
            _provider = TracerProvider(
                resource=Resource.create(
                    {"service.name": "perfmetrics", "service.version": conf.release()}
                )
            )
            _provider.add_span_processor(BatchSpanProcessor(exporter or OTLPSpanExporter()))
        return _provider


def shutdown() -> None:
    """Flush and drop the provider (tests; a new one is made on next use)."""
    global _provider
    with _lock:
        if _provider is not None:
            _provider.shutdown()
        _provider = None


def _ns(moment: datetime, offset_ms: float = 0.0) -> int:
    return int(moment.timestamp() * 1e9 + offset_ms * 1e6)


def export_run(
    result: RunResult, *, run_id: int, breached: bool, incoming: tuple[str, str] | None
) -> None:
    """Send one recorded run as a trace, continuing ``incoming`` (traceparent, tracestate)."""
    tracer = provider().get_tracer("perfmetrics")
    thresholds = conf.thresholds()
    parent = (
        _PROPAGATOR.extract({"traceparent": incoming[0], "tracestate": incoming[1]})
        if incoming
        else None
    )
    root = tracer.start_span(
        result.name,
        context=parent,
        kind=SpanKind.SERVER if incoming else SpanKind.INTERNAL,
        start_time=_ns(result.started_at),
        attributes={
            "perfmetrics.run_id": run_id,
            "perfmetrics.project_id": result.project_id,
            "perfmetrics.source": result.source,
            "perfmetrics.dry_run": result.dry_run,
            "perfmetrics.release": result.release,
            "perfmetrics.db_queries": result.resources.db_queries,
            "perfmetrics.db_time_ms": result.resources.db_time_ms,
            "perfmetrics.breached": breached,
            "perfmetrics.threshold.total_ms": thresholds.total_ms,
            "perfmetrics.threshold.memory_increase_mb": thresholds.memory_increase_mb,
        },
    )
    _status(root, result.success, result.error)
    _component_spans(tracer, root, result, thresholds.component_ms)
    root.end(end_time=_ns(result.started_at, result.duration_ms))


def _component_spans(
    tracer: trace.Tracer, root: Span, result: RunResult, targets: Mapping[str, float]
) -> None:
    # Components are stored as they finish; by start, each one's parent is the latest
    # started component one level up.
    open_spans: list[tuple[ComponentResult, Span]] = []
    spans: list[tuple[ComponentResult, Span]] = []
    for component in sorted(result.components, key=lambda c: (c.offset_ms, c.depth)):
        while open_spans and open_spans[-1][0].depth >= component.depth:
            open_spans.pop()
        parent = open_spans[-1][1] if open_spans else root
        attributes: dict[str, str | float | bool] = {"perfmetrics.cpu_ms": component.cpu_ms}
        if component.name in targets:
            attributes["perfmetrics.threshold.duration_ms"] = targets[component.name]
        span = tracer.start_span(
            component.name,
            context=trace.set_span_in_context(parent),
            start_time=_ns(result.started_at, component.offset_ms),
            attributes=attributes,
        )
        _status(span, component.success, component.error)
        open_spans.append((component, span))
        spans.append((component, span))
    for component, span in spans:
        span.end(end_time=_ns(result.started_at, component.offset_ms + component.duration_ms))


def _status(span: Span, success: bool, error: str) -> None:
    if not success:
        span.set_status(Status(StatusCode.ERROR, error))
