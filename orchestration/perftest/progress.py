"""Progress output: a redrawn bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import threading
from collections.abc import Callable

Write = Callable[[str], None]


class BarProgress:
    """``\\r``-redrawn bar per phase; safe to advance from several threads."""

    def __init__(self, write: Write, *, width: int = 30) -> None:
        self._write = write
        self._width = width
        self._lock = threading.Lock()
        self._phase, self._total, self._done = "", 0, 0

    def start(self, phase: str, total: int) -> None:
        with self._lock:
            self._phase, self._total, self._done = phase, total, 0
            self._draw()

    def advance(self) -> None:
        with self._lock:
            self._done += 1
            self._draw()

    def finish(self) -> None:
        with self._lock:
            self._write("\n")

    def _draw(self) -> None:
        filled = self._width * self._done // self._total if self._total else self._width
        bar = "#" * filled + "." * (self._width - filled)
        self._write(f"\r{self._phase:<20} [{bar}] {self._done}/{self._total}")


class LineProgress:
    """One line when a phase starts and one when it ends; nothing per request."""

    def __init__(self, write: Write) -> None:
        self._write = write
        self._lock = threading.Lock()
        self._phase, self._total, self._done = "", 0, 0

    def start(self, phase: str, total: int) -> None:
        self._phase, self._total, self._done = phase, total, 0
        self._write(f"{phase}: {total} request(s)\n")

    def advance(self) -> None:
        with self._lock:
            self._done += 1

    def finish(self) -> None:
        self._write(f"{self._phase}: {self._done}/{self._total} done\n")
