"""The one error of the package."""

from __future__ import annotations


class PerftestError(Exception):
    """A usage problem (bad argument, unreachable target, rejected token, unknown project or
    baseline): the command prints its message as one line and exits with status 2."""
