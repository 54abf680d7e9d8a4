"""Running a phase: sequential requests on one connection, or truly concurrent workers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol
from urllib.parse import quote

from perfmetrics.models import Source

from ..serializers.orchestrate import ACTION
from ..serializers.run_tags import LABEL_HEADER, SOURCE_HEADER
from .client import ApiClient, Reply
from .values import Phase, PhaseResult, Sample

RequestFn = Callable[[ApiClient], Reply]
ClientFactory = Callable[[], ApiClient]
Clock = Callable[[], float]


class Progress(Protocol):
    """Told about each finished request; ``advance`` may be called from any thread."""

    def start(self, phase: str, total: int) -> None: ...

    def advance(self) -> None: ...

    def finish(self) -> None: ...


def run_label(label: str, phase: Phase) -> str:
    """The label a phase's runs are recorded with: ``<test run>:<phase>``."""
    return f"{label}:{phase.value}"


def orchestrate_request(
    project_id: str, *, pattern_recognition: bool, dry_run: bool, label: str, phase: Phase
) -> RequestFn:
    path = f"/orchestrate/project/{quote(project_id, safe='')}"
    body = {
        "action": ACTION,
        "options": {"enable_pattern_recognition": pattern_recognition, "dry_run": dry_run},
    }
    headers = {SOURCE_HEADER: Source.PERFTEST.value, LABEL_HEADER: run_label(label, phase)}

    def send(client: ApiClient) -> Reply:
        return client.post_json(path, body, headers=headers)

    return send


def metrics_request(project_id: str) -> RequestFn:
    path = f"/orchestrate/intelligence/performance/metrics/{quote(project_id, safe='')}"

    def send(client: ApiClient) -> Reply:
        return client.get(path)

    return send


def sample_of(reply: Reply) -> Sample:
    error = reply.error
    if not error and not 200 <= reply.status < 300:
        error = f"HTTP {reply.status}: {reply.detail()}"
    return Sample(status=reply.status, latency_ms=reply.latency_ms, error=error)


def split(total: int, workers: int) -> list[int]:
    """``total`` requests spread as evenly as possible over at most ``workers`` workers."""
    used = min(total, workers)
    return [total // used + (1 if i < total % used else 0) for i in range(used)] if used else []


def run_sequential(
    phase: Phase,
    client: ApiClient,
    request: RequestFn,
    *,
    count: int,
    progress: Progress,
    clock: Clock = time.perf_counter,
) -> PhaseResult:
    """``count`` requests one after the other on ``client``'s keep-alive connection."""
    progress.start(phase.value, count)
    client.connect()
    samples = []
    start = clock()
    for _ in range(count):
        samples.append(sample_of(request(client)))
        progress.advance()
    wall = clock() - start
    progress.finish()
    return PhaseResult(phase=phase, concurrency=1, wall_s=wall, samples=tuple(samples))


def run_concurrent(
    phase: Phase,
    new_client: ClientFactory,
    request: RequestFn,
    *,
    counts: Sequence[int],
    progress: Progress,
    clock: Clock = time.perf_counter,
) -> PhaseResult:
    """One thread per entry of ``counts``, each with its own connection (opened before
    the start), all released together; wall time runs from the first start to the
    last finish."""
    counts = [c for c in counts if c > 0]
    progress.start(phase.value, sum(counts))
    barrier = threading.Barrier(len(counts)) if counts else None
    stop = threading.Event()
    spans: list[tuple[float, float, list[Sample]] | None] = [None] * len(counts)

    def work(index: int, count: int) -> None:
        with new_client() as client:
            client.connect()
            assert barrier is not None
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                return
            start, samples = clock(), []
            for _ in range(count):
                if stop.is_set():
                    break
                samples.append(sample_of(request(client)))
                progress.advance()
            spans[index] = (start, clock(), samples)

    threads = [
        threading.Thread(target=work, args=(i, c), name=f"perftest-{phase.value}-{i}", daemon=True)
        for i, c in enumerate(counts)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    except BaseException:
        stop.set()
        if barrier is not None:
            barrier.abort()
        raise
    progress.finish()
    return _combine(phase, spans)


def _combine(
    phase: Phase, spans: Sequence[tuple[float, float, list[Sample]] | None]
) -> PhaseResult:
    finished = [span for span in spans if span is not None]
    if len(finished) != len(spans):
        raise RuntimeError(f"{len(spans) - len(finished)} worker(s) of {phase.value} died")
    wall = (
        max(end for _, end, _ in finished) - min(start for start, _, _ in finished)
        if finished
        else 0.0
    )
    samples = tuple(sample for _, _, worker in finished for sample in worker)
    return PhaseResult(phase=phase, concurrency=len(spans), wall_s=wall, samples=samples)
