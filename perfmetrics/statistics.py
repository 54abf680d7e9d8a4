"""The one percentile definition for numbers computed in Python.

The selectors compute percentiles in PostgreSQL with ``percentile_cont``; anything that
computes one in Python (client-side latencies, benchmarks) calls :func:`percentile`,
which follows the same definition, so the figures can be compared.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(values: Iterable[float], fraction: float) -> float | None:
    """The ``fraction`` (0..1) percentile of ``values``; None when there are none.

    PostgreSQL's ``percentile_cont``: sort the values, take the position
    ``fraction * (n - 1)`` and interpolate linearly between the two closest ranks.
    ``percentile(values, 0.5)`` is the median (the mean of the middle two for an even
    count).
    """
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction!r}")
    ordered = sorted(values)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    return ordered[lower] + (position - lower) * (ordered[upper] - ordered[lower])
