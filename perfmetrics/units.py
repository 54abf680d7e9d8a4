"""Units of the stored measurements: memory is stored in bytes and reported in MB."""

from __future__ import annotations

# A megabyte here is 2**20 bytes (a mebibyte), as ``ps`` and ``psutil`` report RSS.
MB = 1024 * 1024


def to_mb(n_bytes: float) -> float:
    return n_bytes / MB
