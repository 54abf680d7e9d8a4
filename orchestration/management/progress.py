"""A progress report for long management commands: a bar on a terminal, lines otherwise."""

from __future__ import annotations

from django.core.management.base import OutputWrapper

BAR_WIDTH = 30


def plain(text: str) -> str:
    """A style for progress on stderr, which Django otherwise colours as an error."""
    return text


class ProgressReport:
    """Call with (done, total) as work advances; give it the command's ``self.stderr``.

    On a terminal one line is redrawn in place; in logs (Kubernetes Jobs, CI) a
    plain line is written at most every tenth of the way, and at the end. At
    ``verbosity`` 0 (``-v 0``) it writes nothing.
    """

    def __init__(self, out: OutputWrapper, label: str, *, verbosity: int = 1) -> None:
        self.out = out
        self.label = label
        self.silent = verbosity < 1
        self.interactive = out.isatty()
        self._reported_tenths = -1

    def __call__(self, done: int, total: int) -> None:
        if self.silent:
            return
        share = done / total if total else 1.0
        if self.interactive:
            filled = round(share * BAR_WIDTH)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            ending = "\n" if done >= total else ""
            self.out.write(
                f"\r[{bar}] {share:4.0%} {done}/{total} {self.label}",
                style_func=plain,
                ending=ending,
            )
            self.out.flush()
            return
        tenths = int(share * 10)
        if tenths > self._reported_tenths or done >= total:
            self._reported_tenths = tenths
            self.out.write(f"{done}/{total} {self.label} ({share:.0%})", style_func=plain)
