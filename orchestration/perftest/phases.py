"""Running a phase: sequential requests on one connection, truly concurrent workers (the
closed model), or constant arrivals (the open model)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from perfmetrics.models import Source

from .client import ApiClient, Reply
from .plan import metrics_call, orchestrate_call
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
    call = orchestrate_call(
        project_id,
        pattern_recognition=pattern_recognition,
        dry_run=dry_run,
        source=Source.PERFTEST.value,
        label=run_label(label, phase),
    )

    def send(client: ApiClient) -> Reply:
        return client.post_json(call.path, call.body, headers=call.headers)

    return send


def metrics_request(project_id: str) -> RequestFn:
    call = metrics_call(project_id)

    def send(client: ApiClient) -> Reply:
        return client.get(call.path, headers=call.headers)

    return send


def sample_of(reply: Reply, *, offset_s: float = 0.0, wait_ms: float = 0.0) -> Sample:
    """``wait_ms`` (open model) is added to the latency: the request was due that long
    before it could be sent."""
    error = reply.error
    if not error and not 200 <= reply.status < 300:
        error = f"HTTP {reply.status}: {reply.detail()}"
    return Sample(
        status=reply.status,
        latency_ms=reply.latency_ms + wait_ms,
        error=error,
        offset_s=offset_s,
        wait_ms=wait_ms,
    )


def split(total: int, workers: int) -> list[int]:
    """``total`` requests spread as evenly as possible over at most ``workers`` workers."""
    used = min(total, workers)
    return [total // used + (1 if i < total % used else 0) for i in range(used)] if used else []


@dataclass(frozen=True)
class Until:
    """A phase (or each worker of a closed-model phase) stops after ``requests`` requests,
    or once ``duration_s`` seconds have passed since the phase started."""

    requests: int | None = None
    duration_s: float | None = None

    def __post_init__(self) -> None:
        if (self.requests is None) == (self.duration_s is None):
            raise ValueError("give requests or duration_s, not both")

    def reached(self, sent: int, elapsed_s: float) -> bool:
        if self.requests is not None:
            return sent >= self.requests
        assert self.duration_s is not None
        return elapsed_s >= self.duration_s


class Meter:
    """A phase's progress: one step per request when it has a count, one per elapsed
    second when it runs for a time (then its name says "seconds"). Thread-safe."""

    def __init__(self, progress: Progress, name: str, *, total_requests: int | None, until: Until):
        self._progress = progress
        self._by_time = until.duration_s is not None
        self._lock = threading.Lock()
        self._seconds = 0
        if until.duration_s is not None:
            self._total = max(1, math.ceil(until.duration_s))
            progress.start(f"{name} (seconds)", self._total)
        else:
            self._total = total_requests or 0
            progress.start(name, self._total)

    def sent(self, elapsed_s: float) -> None:
        if not self._by_time:
            self._progress.advance()
            return
        self._advance_to(min(int(elapsed_s), self._total))

    def finish(self) -> None:
        if self._by_time:
            self._advance_to(self._total)
        self._progress.finish()

    def _advance_to(self, seconds: int) -> None:
        with self._lock:
            while self._seconds < seconds:
                self._seconds += 1
                self._progress.advance()


def run_sequential(
    phase: Phase,
    client: ApiClient,
    request: RequestFn,
    *,
    count: int | None = None,
    duration_s: float | None = None,
    progress: Progress,
    clock: Clock = time.perf_counter,
) -> PhaseResult:
    """``count`` requests, or requests for ``duration_s`` seconds, one after the other
    on ``client``'s keep-alive connection."""
    until = Until(count, duration_s)
    meter = Meter(progress, phase.value, total_requests=count, until=until)
    client.connect()
    samples: list[Sample] = []
    start = clock()
    while not until.reached(len(samples), clock() - start):
        sent = clock() - start
        samples.append(sample_of(request(client), offset_s=sent))
        meter.sent(clock() - start)
    wall = clock() - start
    meter.finish()
    return PhaseResult(phase=phase, concurrency=1, wall_s=wall, samples=tuple(samples))


def run_concurrent(
    phase: Phase,
    new_client: ClientFactory,
    request: RequestFn,
    *,
    counts: Sequence[int] | None = None,
    workers: int | None = None,
    duration_s: float | None = None,
    start_delays: Sequence[float] = (),
    progress: Progress,
    clock: Clock = time.perf_counter,
) -> PhaseResult:
    """The closed model: one thread per entry of ``counts`` (or ``workers`` threads
    sending for ``duration_s``), each with its own connection opened before the start,
    all released together; worker ``i`` then waits ``start_delays[i]`` seconds (a ramp).
    Wall time runs from the release to the last finish."""
    if counts is not None:
        plans = [Until(requests=c) for c in counts if c > 0]
        total: int | None = sum(counts)
    else:
        plans = [Until(duration_s=duration_s) for _ in range(workers or 0)]
        total = None
    if not plans:
        raise ValueError("a concurrent phase needs at least one worker")
    meter = Meter(progress, phase.value, total_requests=total, until=plans[0])
    pool = _Pool(len(plans), clock)

    def work(index: int, client: ApiClient) -> list[Sample]:
        delay = start_delays[index] if index < len(start_delays) else 0.0
        if delay > 0 and pool.stop.wait(delay):
            return []
        samples: list[Sample] = []
        until = plans[index]
        while not pool.stop.is_set() and not until.reached(len(samples), pool.elapsed()):
            sent = pool.elapsed()
            samples.append(sample_of(request(client), offset_s=sent))
            meter.sent(pool.elapsed())
        return samples

    samples, wall = pool.run(phase, new_client, work)
    meter.finish()
    return PhaseResult(phase=phase, concurrency=len(plans), wall_s=wall, samples=samples)


def arrival_schedule(rate_per_s: float, *, ramp_s: float = 0.0) -> Callable[[int], float]:
    """When request ``i`` (from 0) is due, in seconds after the start: every ``1 / rate``
    seconds; with ``ramp_s``, arrivals grow linearly from 0 to the rate over the ramp
    (``i`` arrivals have come by ``sqrt(2 * ramp * i / rate)``)."""
    if ramp_s > 0:
        return lambda i: math.sqrt(2 * ramp_s * i / rate_per_s)
    return lambda i: i / rate_per_s


def run_open(
    phase: Phase,
    new_client: ClientFactory,
    request: RequestFn,
    *,
    rate_per_s: float,
    workers: int,
    until: Until,
    ramp: bool = False,
    progress: Progress,
    clock: Clock = time.perf_counter,
) -> PhaseResult:
    """The open model (k6's constant-arrival-rate): request ``i`` is due at
    ``arrival_schedule(rate)(i)`` whatever happened before, until ``until`` (a total
    count, or a duration: the last request due before it ends). With ``ramp`` the rate
    grows from 0 over ``until.duration_s``. Up to ``workers`` connections send them; a
    request due while every worker is busy is sent by the next free one, and its latency
    counts from when it was due (``Sample.wait_ms`` says how long it waited), so a slow
    server cannot hide its queue (docs/design.md §5, "Load model")."""
    ramp_s = (until.duration_s or 0.0) if ramp else 0.0
    due = arrival_schedule(rate_per_s, ramp_s=ramp_s)
    meter = Meter(progress, phase.value, total_requests=until.requests, until=until)
    pool = _Pool(workers, clock)
    lock = threading.Lock()
    next_index = [0]

    def claim() -> float | None:
        with lock:
            index = next_index[0]
            next_index[0] += 1
        at = due(index)
        if until.requests is not None:
            return at if index < until.requests else None
        assert until.duration_s is not None
        return at if at < until.duration_s else None

    def work(index: int, client: ApiClient) -> list[Sample]:
        samples: list[Sample] = []
        while not pool.stop.is_set() and (at := claim()) is not None:
            delay = at - pool.elapsed()
            if delay > 0 and pool.stop.wait(delay):
                break
            wait_ms = max(0.0, pool.elapsed() - at) * 1000
            samples.append(sample_of(request(client), offset_s=at, wait_ms=wait_ms))
            meter.sent(pool.elapsed())
        return samples

    samples, wall = pool.run(phase, new_client, work)
    meter.finish()
    return PhaseResult(phase=phase, concurrency=workers, wall_s=wall, samples=samples)


class _Pool:
    """Worker threads with their own connections, released together by a barrier that
    also starts the phase's clock; an interruption stops them all."""

    def __init__(self, size: int, clock: Clock) -> None:
        self.size = size
        self.stop = threading.Event()
        self._clock = clock
        self._start = 0.0
        self._barrier = threading.Barrier(size, action=self._started)

    def _started(self) -> None:
        self._start = self._clock()

    def elapsed(self) -> float:
        return self._clock() - self._start

    def run(
        self,
        phase: Phase,
        new_client: ClientFactory,
        work: Callable[[int, ApiClient], list[Sample]],
    ) -> tuple[tuple[Sample, ...], float]:
        """Every worker's samples in send order, and the wall time to the last finish."""
        results: list[list[Sample] | None] = [None] * self.size
        ends = [0.0] * self.size

        def worker(index: int) -> None:
            with new_client() as client:
                client.connect()
                try:
                    self._barrier.wait()
                except threading.BrokenBarrierError:
                    return
                results[index] = work(index, client)
                ends[index] = self.elapsed()

        threads = [
            threading.Thread(
                target=worker, args=(i,), name=f"perftest-{phase.value}-{i}", daemon=True
            )
            for i in range(self.size)
        ]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        except BaseException:
            self.stop.set()
            self._barrier.abort()
            raise
        finished = [r for r in results if r is not None]
        if len(finished) != self.size:
            raise RuntimeError(f"{self.size - len(finished)} worker(s) of {phase.value} died")
        samples = sorted((s for worker in finished for s in worker), key=lambda s: s.offset_s)
        return tuple(samples), max(ends, default=0.0)
