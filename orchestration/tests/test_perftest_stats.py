from __future__ import annotations

import pytest

from orchestration.perftest.stats import summarize_phase
from orchestration.perftest.values import Phase, PhaseResult, Sample


def test_a_phase_counts_every_request_but_times_only_the_successful_ones():
    samples = (
        Sample(200, 10.0),
        Sample(200, 30.0),
        Sample(500, 1.0, "HTTP 500: boom"),
        Sample(0, 5000.0, "TimeoutError: timed out"),
    )

    summary = summarize_phase(
        PhaseResult(phase=Phase.BASELINE, concurrency=1, wall_s=2.0, samples=samples)
    )

    assert (summary.requests, summary.errors, summary.success_rate) == (4, 2, 0.5)
    assert summary.latency.count == 2
    assert summary.latency.max_ms == 30.0
    assert summary.latency.p50_ms == pytest.approx(20.0)
    assert summary.throughput_rps == pytest.approx(1.0)
    assert summary.statuses == {"0": 1, "200": 2, "500": 1}
    assert summary.first_error == "HTTP 500: boom"


def test_a_phase_without_successes_has_no_latency():
    summary = summarize_phase(
        PhaseResult(Phase.CONCURRENT, 2, 1.0, (Sample(0, 3.0, "ConnectionRefusedError"),))
    )

    assert summary.latency.p95_ms is None
    assert summary.throughput_rps == 0.0


def test_client_percentiles_interpolate_like_postgresql_percentile_cont():
    samples = tuple(Sample(200, ms) for ms in (40.0, 10.0, 30.0, 20.0))

    latency = summarize_phase(PhaseResult(Phase.BASELINE, 1, 1.0, samples)).latency

    assert (latency.p50_ms, latency.mean_ms, latency.max_ms) == (25.0, 25.0, 40.0)
    assert latency.p95_ms == pytest.approx(38.5)
