"""Runs as OpenTelemetry traces, received by a local OTLP/HTTP receiver that decodes them."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan

from perfmetrics import tracing
from perfmetrics.measure import component
from perfmetrics.services import measured_transaction

ROOT = Path(__file__).resolve().parents[2]
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"


class Receiver(ThreadingHTTPServer):
    """An OTLP/HTTP endpoint: decodes every ExportTraceServiceRequest posted to /v1/traces."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.spans: list[ProtoSpan] = []
        self.resources: list[dict[str, str]] = []
        self.paths: list[str] = []
        self.received = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.server.paths.append(self.path)
        for resource_spans in request.resource_spans:
            self.server.resources.append(
                {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            )
            for scope in resource_spans.scope_spans:
                self.server.spans.extend(scope.spans)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()
        self.server.received.set()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver(monkeypatch, settings) -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    settings.PERFMETRICS = {**settings.PERFMETRICS, "TRACING": True, "RELEASE": "v7"}
    tracing.shutdown()
    try:
        yield server
    finally:
        tracing.shutdown()
        server.shutdown()
        server.server_close()


def attributes(span: ProtoSpan) -> dict[str, object]:
    values: dict[str, object] = {}
    for a in span.attributes:
        kind = a.value.WhichOneof("value")
        values[a.key] = getattr(a.value, kind)
    return values


def flush(receiver: Receiver) -> None:
    tracing.provider().force_flush()
    assert receiver.received.wait(10)


@pytest.mark.django_db(transaction=True)
def test_a_run_is_a_trace_with_its_components_as_nested_child_spans(receiver):
    with measured_transaction("place_order", project_id="P7", dry_run=True) as run:
        with component("outer"), component("inner"):
            pass
        with component("after"):
            pass
    flush(receiver)

    spans = {span.name: span for span in receiver.spans}
    root, outer, inner, after = (spans[n] for n in ("place_order", "outer", "inner", "after"))
    assert receiver.paths == ["/v1/traces"]
    assert {s.trace_id for s in spans.values()} == {root.trace_id}
    assert root.parent_span_id == b""
    assert outer.parent_span_id == root.span_id
    assert inner.parent_span_id == outer.span_id
    assert after.parent_span_id == root.span_id
    assert root.start_time_unix_nano <= outer.start_time_unix_nano <= inner.start_time_unix_nano
    assert inner.end_time_unix_nano <= outer.end_time_unix_nano <= root.end_time_unix_nano
    root_attributes = attributes(root)
    assert root_attributes["perfmetrics.project_id"] == "P7"
    assert root_attributes["perfmetrics.dry_run"] is True
    assert root_attributes["perfmetrics.release"] == "v7"
    assert root_attributes["perfmetrics.run_id"] == run.record_id
    assert root_attributes["perfmetrics.db_queries"] == run.result.resources.db_queries
    assert root_attributes["perfmetrics.threshold.total_ms"] == 2000.0
    assert receiver.resources[0]["service.version"] == "v7"


@pytest.mark.django_db(transaction=True)
def test_an_incoming_traceparent_is_continued(receiver, api_client_factory):
    client, project_id = api_client_factory()

    response = client.post(
        f"/orchestrate/project/{project_id}",
        {"action": "analyze_and_orchestrate", "options": {"dry_run": True}},
        format="json",
        HTTP_TRACEPARENT=f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01",
    )
    flush(receiver)

    assert response.status_code == 200
    (root,) = (s for s in receiver.spans if s.name == "total_orchestration")
    assert root.trace_id.hex() == TRACE_ID
    assert root.parent_span_id.hex() == PARENT_SPAN_ID
    children = {s.name: s for s in receiver.spans if s.parent_span_id == root.span_id}
    assert {"project_analysis", "decision_making", "action_execution"} <= set(children)
    pattern = attributes(children["full_pattern_analysis"])
    assert pattern["perfmetrics.threshold.duration_ms"] == 1000.0
    assert attributes(root)["perfmetrics.project_id"] == project_id


@pytest.mark.django_db(transaction=True)
def test_a_failed_run_is_an_error_span(receiver):
    with pytest.raises(ValueError, match="nope"), measured_transaction("place_order"):
        raise ValueError("nope")
    flush(receiver)

    (root,) = receiver.spans
    assert root.status.code == root.status.STATUS_CODE_ERROR
    assert root.status.message == "ValueError: nope"


@pytest.fixture
def api_client_factory(db):
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from conftest import make_project

    def make() -> tuple[APIClient, str]:
        project = make_project("TRACE-1", backlog=2)
        user = get_user_model().objects.create_user("trace-user")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        return client, project.project_id

    return make


SCRIPT = """
import sys
import django
django.setup()
from django.test import Client
from perfmetrics.services import measured_transaction
assert Client().get("/health").status_code == 200
with measured_transaction("probe"):
    pass
print(sorted(m for m in sys.modules if m.startswith("opentelemetry")))
"""


@pytest.mark.django_db(transaction=True)
def test_without_an_endpoint_opentelemetry_is_never_imported():
    from orchestrator_site.tests.live_servers import database_url

    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")} | {
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "orchestrator_site.settings",
        "ALLOWED_HOSTS": "testserver",
    }

    ran = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[-1] == "[]"
