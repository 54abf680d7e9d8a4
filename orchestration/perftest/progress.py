"""Progress output through the commands' shared ProgressReport: a bar on a terminal,
plain lines (at most one per tenth of a phase) otherwise."""

from __future__ import annotations

import threading

from django.core.management.base import OutputWrapper

from ..management.progress import ProgressReport


class PhaseProgress:
    """One ProgressReport per phase; ``advance`` may be called from any thread."""

    def __init__(self, out: OutputWrapper, *, verbosity: int = 1) -> None:
        self._out = out
        self._verbosity = verbosity
        self._lock = threading.Lock()
        self._report = ProgressReport(out, "", verbosity=verbosity)
        self._done, self._total = 0, 0

    def start(self, phase: str, total: int) -> None:
        with self._lock:
            self._report = ProgressReport(self._out, phase, verbosity=self._verbosity)
            self._done, self._total = 0, total
            self._report(0, total)

    def advance(self) -> None:
        with self._lock:
            self._done += 1
            self._report(self._done, self._total)

    def finish(self) -> None:
        """Nothing to add: the report writes its last line when the phase completes."""
