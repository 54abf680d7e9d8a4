from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from orchestration.perftest.client import ApiClient, Target
from orchestration.perftest.phases import (
    Until,
    arrival_schedule,
    orchestrate_request,
    run_concurrent,
    run_open,
    run_sequential,
)
from orchestration.perftest.server import free_port
from orchestration.perftest.values import Phase


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[tuple[int, dict[str, str], object]] = []
        self.connections = 0
        self.drop_after_response = False
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Recorder

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1
            self.connection_number = self.server.connections

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.requests.append((self.connection_number, dict(self.headers), body))
        payload = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        # Like an idle keep-alive timeout: the socket closes without "Connection: close".
        self.close_connection = self.server.drop_after_response

    def log_message(self, format: str, *args: object) -> None:
        pass


class Silent:
    def start(self, phase, total):
        pass

    def advance(self):
        pass

    def finish(self):
        pass


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def client_for(server: Recorder) -> ApiClient:
    return ApiClient(
        Target("http", "127.0.0.1", server.server_address[1]), token="t0k", timeout_s=5
    )


def send(client: ApiClient):
    request = orchestrate_request(
        "TEST-001", pattern_recognition=False, dry_run=True, label="pt-1", phase=Phase.BASELINE
    )
    return request(client)


def test_requests_carry_the_token_the_run_tags_and_the_json_body(recorder):
    with client_for(recorder) as client:
        reply = send(client)

    assert reply.status == 200
    _, headers, body = recorder.requests[0]
    assert headers["Authorization"] == "Token t0k"
    assert headers["X-Perf-Source"] == "perftest"
    assert headers["X-Perf-Label"] == "pt-1:baseline"
    assert body == {
        "action": "analyze_and_orchestrate",
        "options": {"enable_pattern_recognition": False, "dry_run": True},
    }


def test_sequential_requests_reuse_one_keep_alive_connection(recorder):
    with client_for(recorder) as client:
        result = run_sequential(Phase.BASELINE, client, send, count=4, progress=Silent())

    assert [s.status for s in result.samples] == [200] * 4
    assert recorder.connections == 1


def test_later_phases_keep_using_the_open_connection(recorder):
    with client_for(recorder) as client:
        send(client)
        run_sequential(Phase.BASELINE, client, send, count=2, progress=Silent())
        run_sequential(Phase.PATTERN, client, send, count=2, progress=Silent())

    assert len(recorder.requests) == 5
    assert recorder.connections == 1


def test_a_connection_the_server_dropped_is_replaced_transparently(recorder):
    recorder.drop_after_response = True

    with client_for(recorder) as client:
        result = run_sequential(Phase.BASELINE, client, send, count=3, progress=Silent())

    assert [s.status for s in result.samples] == [200] * 3
    assert len(recorder.requests) == 3
    assert len({number for number, _, _ in recorder.requests}) == 3


def test_concurrent_workers_each_use_their_own_connection(recorder):
    result = run_concurrent(
        Phase.CONCURRENT, lambda: client_for(recorder), send, counts=[3, 3, 3], progress=Silent()
    )

    assert result.concurrency == 3
    assert len(result.samples) == 9
    assert all(sample.ok for sample in result.samples)
    by_connection: dict[int, int] = {}
    for number, _, _ in recorder.requests:
        by_connection[number] = by_connection.get(number, 0) + 1
    assert sorted(by_connection.values()) == [3, 3, 3]


def test_an_unreachable_target_gives_status_zero_and_the_error():
    client = ApiClient(Target("http", "127.0.0.1", free_port()), token=None, timeout_s=2)

    reply = client.get("/health")

    assert reply.status == 0
    assert "ConnectionRefusedError" in reply.error


class Counting(Silent):
    def __init__(self):
        self.started: list[tuple[str, int]] = []
        self.advances = 0

    def start(self, phase, total):
        self.started.append((phase, total))

    def advance(self):
        self.advances += 1


class FakeClock:
    """Advances by ``step`` seconds on every reading."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_a_phase_with_a_duration_sends_until_the_time_is_up_and_counts_seconds(recorder):
    progress = Counting()

    with client_for(recorder) as client:
        result = run_sequential(
            Phase.BASELINE, client, send, duration_s=2.0, progress=progress, clock=FakeClock(0.1)
        )

    # Three clock readings per request, 0.1 s each: the loop stops once 2 s have passed.
    assert len(result.samples) == 7
    assert progress.started == [("baseline (seconds)", 2)]
    assert progress.advances == 2
    offsets = [s.offset_s for s in result.samples]
    assert offsets == sorted(offsets)


def test_constant_arrivals_are_due_at_even_intervals_and_a_ramp_grows_them_from_zero():
    steady = arrival_schedule(50.0)
    ramped = arrival_schedule(50.0, ramp_s=10.0)

    assert [steady(i) for i in range(3)] == [0.0, 0.02, 0.04]
    # 50/s reached at the end of a 10 s ramp: 250 arrivals by then, half the steady count.
    assert ramped(250) == pytest.approx(10.0)
    assert ramped(1) > steady(1)


def test_the_open_model_sends_every_due_request_and_counts_waiting_in_the_latency(recorder):
    result = run_open(
        Phase.CONCURRENT,
        lambda: client_for(recorder),
        send,
        rate_per_s=400.0,
        workers=2,
        until=Until(requests=8),
        progress=Silent(),
    )

    assert result.concurrency == 2
    assert len(result.samples) == 8
    assert [s.offset_s for s in result.samples] == pytest.approx([i / 400 for i in range(8)])
    assert all(s.ok for s in result.samples)
    assert all(s.latency_ms >= s.wait_ms >= 0 for s in result.samples)
    assert len(recorder.requests) == 8


def test_the_open_model_with_a_duration_sends_what_is_due_before_it_ends(recorder):
    result = run_open(
        Phase.CONCURRENT,
        lambda: client_for(recorder),
        send,
        rate_per_s=100.0,
        workers=3,
        until=Until(duration_s=0.1),
        progress=Silent(),
    )

    assert len(result.samples) == 10


def test_a_closed_ramp_starts_its_workers_one_after_another(recorder):
    result = run_concurrent(
        Phase.RAMP,
        lambda: client_for(recorder),
        send,
        workers=2,
        duration_s=0.2,
        start_delays=[0.0, 0.1],
        progress=Silent(),
    )

    assert result.concurrency == 2
    assert min(s.offset_s for s in result.samples) < 0.1
    assert len({number for number, _, _ in recorder.requests}) == 2
