"""Capture of one run's timings and resource deltas, in memory; nothing is written here.

Wall time comes from ``time.perf_counter``, per-component CPU from
``time.thread_time``, the run's CPU from ``getrusage(RUSAGE_THREAD)`` (the
request's own thread), memory from the process RSS (process-wide: other threads
of the same worker move it too), database work from a
``connection.execute_wrapper``.
"""

from __future__ import annotations

import os
import resource
import socket
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ContextDecorator, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import psutil
from django.db import connections
from django.utils import timezone

from .values import ComponentResult, ResourceUsage, RunResult, RunVerdict

_RUSAGE_WHO = getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF)
_PROCESS = psutil.Process()
_HOST = socket.gethostname()[:64]
_current: ContextVar[Measurement | None] = ContextVar("perfmetrics_measurement", default=None)


def describe_error(exc: BaseException | None) -> str:
    """``Type: message``, at most 2,000 characters; NUL bytes (PostgreSQL text refuses
    them) are dropped so a strange error message cannot fail its own recording."""
    if exc is None:
        return ""
    return f"{type(exc).__name__}: {exc}".replace("\x00", "")[:2000]


def bounded_traceback(exc: BaseException | None, *, max_bytes: int) -> str:
    """The last frames of ``exc``'s traceback and its message, at most ``max_bytes`` of
    UTF-8: whole frames are dropped from the oldest end first, so what is kept is where
    the error happened. NUL bytes are dropped as in :func:`describe_error`."""
    if exc is None:
        return ""
    frames = traceback.extract_tb(exc.__traceback__)
    tail = "".join(traceback.format_exception_only(type(exc), exc)).replace("\x00", "")
    kept: list[str] = []
    size = len(tail.encode())
    for line in reversed(traceback.format_list(frames)):
        line = line.replace("\x00", "")
        if size + len(line.encode()) > max_bytes:
            break
        kept.append(line)
        size += len(line.encode())
    text = "".join(reversed(kept)) + tail
    return text.encode()[-max_bytes:].decode(errors="ignore")


@dataclass
class _QueryCounter:
    queries: int = 0
    seconds: float = 0.0
    overhead: float = 0.0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            end = time.perf_counter()
            self.queries += 1
            self.seconds += end - start
            self.overhead += time.perf_counter() - end


@dataclass
class Measurement:
    """One measured execution; use as a context manager, components nest inside it.

    On exit the result is in :attr:`result`; an exception marks the run failed and
    propagates unchanged.
    """

    name: str
    project_id: str = ""
    source: str = "api"
    dry_run: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    using: str = "default"
    release: str = "unknown"
    # 0: keep no traceback of a failure.
    traceback_bytes: int = 0
    result: RunResult | None = field(default=None, init=False)
    # Primary key of the stored run, once recorded.
    record_id: int | None = field(default=None, init=False)
    # The run against the thresholds, once recorded (``services.measured_transaction``).
    verdict: RunVerdict | None = field(default=None, init=False)
    _components: list[ComponentResult] = field(default_factory=list, init=False)
    _stack: list[str] = field(default_factory=list, init=False)
    _overhead: float = field(default=0.0, init=False)

    def __enter__(self) -> Measurement:
        entered = time.perf_counter()
        self._counter = _QueryCounter()
        self._wrapper = connections[self.using].execute_wrapper(self._counter)
        self._wrapper.__enter__()
        self._token = _current.set(self)
        self._started_at = timezone.now()
        self._rss_before = _PROCESS.memory_info().rss
        self._usage_before = resource.getrusage(_RUSAGE_WHO)
        self._start = time.perf_counter()
        self._overhead += self._start - entered
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stop = time.perf_counter()
        usage = resource.getrusage(_RUSAGE_WHO)
        rss_after = _PROCESS.memory_info().rss
        _current.reset(self._token)
        self._wrapper.__exit__(None, None, None)
        self._overhead += time.perf_counter() - stop + self._counter.overhead
        self.result = RunResult(
            name=self.name,
            project_id=self.project_id,
            source=self.source,
            dry_run=self.dry_run,
            labels=dict(self.labels),
            started_at=self._started_at,
            duration_ms=(stop - self._start) * 1000,
            success=exc is None,
            error=describe_error(exc),
            components=tuple(self._components),
            resources=ResourceUsage(
                rss_before_bytes=self._rss_before,
                rss_after_bytes=rss_after,
                cpu_user_ms=(usage.ru_utime - self._usage_before.ru_utime) * 1000,
                cpu_system_ms=(usage.ru_stime - self._usage_before.ru_stime) * 1000,
                db_queries=self._counter.queries,
                db_time_ms=self._counter.seconds * 1000,
            ),
            host=_HOST,
            pid=os.getpid(),
            overhead_ms=self._overhead * 1000,
            release=self.release,
            traceback=(
                bounded_traceback(exc, max_bytes=self.traceback_bytes)
                if self.traceback_bytes
                else ""
            ),
        )

    @contextmanager
    def _timed(self, name: str) -> Iterator[None]:
        entered = time.perf_counter()
        parent = self._stack[-1] if self._stack else ""
        depth = len(self._stack)
        self._stack.append(name)
        cpu_start = time.thread_time()
        start = time.perf_counter()
        self._overhead += start - entered
        error: BaseException | None = None
        try:
            yield
        except BaseException as exc:
            error = exc
            raise
        finally:
            stop = time.perf_counter()
            cpu = time.thread_time() - cpu_start
            self._stack.pop()
            self._components.append(
                ComponentResult(
                    name=name,
                    parent=parent,
                    depth=depth,
                    offset_ms=(start - self._start) * 1000,
                    duration_ms=(stop - start) * 1000,
                    cpu_ms=cpu * 1000,
                    success=error is None,
                    error=describe_error(error),
                )
            )
            self._overhead += time.perf_counter() - stop


class component(ContextDecorator):  # noqa: N801 - reads as a statement: `with component("x")`
    """Time a named part of the current run; a no-op outside a run.

    Works as ``with component("similarity_analysis"):`` and as a decorator
    (each decorated call gets a fresh timer, so threads never share one).
    Nesting records the enclosing component as the parent.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._context: AbstractContextManager[None] | None = None

    def _recreate_cm(self) -> component:
        return component(self.name)

    def __enter__(self) -> None:
        run = _current.get()
        if run is not None:
            self._context = run._timed(self.name)
            self._context.__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if self._context is None:
            return False
        return bool(self._context.__exit__(exc_type, exc, tb))


def current_measurement() -> Measurement | None:
    return _current.get()
