"""Regressions decided by a statistical test on the exact stored samples (docs/design.md §5,
"Regressions"). Pure functions: durations in, frozen values out.

Two questions per component, asked of its successful durations:

* Is the candidate slower at all? A one-sided Mann-Whitney U test (scipy): rank-based, so
  no distribution is assumed and outliers weigh no more than any slow run.
* How much slower? The ratio of the medians with a distribution-free confidence interval
  (Bonett and Price, 2002: each log median's variance from the order statistics that bound
  its own binomial confidence interval), computed from sorted samples in O(n log n).

A regression is reported when the test is significant at ``alpha`` *and* the interval of
the ratio reaches ``1 + threshold_percent / 100``: a slowdown of the threshold's size is
consistent with the data. Requiring the point estimate above the threshold would miss half
of the slowdowns of exactly the threshold; requiring the whole interval above it, most of
them. perfmetrics/tests/test_regression_quality.py measures the error rates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from .values import Comparison, SampleComparison

# Durations are positive; a zero (a timer's resolution) must not break the logarithms.
_FLOOR_MS = 1e-6


def _log_median_variance(values: np.ndarray) -> float:
    """Bonett-Price variance of the log median of sorted positive ``values``."""
    n = len(values)
    c = max(1, round(n / 2 - math.sqrt(n)))
    # The order statistics Y(c) and Y(n - c + 1) bound a binomial interval of the median
    # whose coverage is 1 - 2 P(B <= c - 1); their log distance over its two z gives the SE.
    tail = float(stats.binom.cdf(c - 1, n, 0.5))
    z = float(stats.norm.ppf(1 - tail))
    low, high = math.log(values[c - 1]), math.log(values[n - c])
    if z <= 0:
        return (high - low) ** 2
    return ((high - low) / (2 * z)) ** 2


def compare_samples(
    component: str,
    baseline: ArrayLike,
    candidate: ArrayLike,
    *,
    threshold_percent: float,
    alpha: float,
) -> SampleComparison:
    """Compare one component's successful durations; both samples need at least 2 values."""
    base = np.sort(np.maximum(np.asarray(baseline, dtype=float), _FLOOR_MS))
    cand = np.sort(np.maximum(np.asarray(candidate, dtype=float), _FLOOR_MS))
    p_value = float(stats.mannwhitneyu(cand, base, alternative="greater").pvalue)
    base_median, cand_median = float(np.median(base)), float(np.median(cand))
    log_ratio = math.log(cand_median) - math.log(base_median)
    spread = math.sqrt(_log_median_variance(base) + _log_median_variance(cand))
    z = float(stats.norm.ppf(1 - alpha / 2))
    low, high = math.exp(log_ratio - z * spread), math.exp(log_ratio + z * spread)
    significant = p_value < alpha
    return SampleComparison(
        component=component,
        baseline_runs=len(base),
        candidate_runs=len(cand),
        baseline_median_ms=base_median,
        candidate_median_ms=cand_median,
        ratio=cand_median / base_median,
        ratio_low=low,
        ratio_high=high,
        confidence=1 - alpha,
        p_value=p_value,
        significant=significant,
        regression=significant and high >= 1 + threshold_percent / 100,
    )


def compare(
    *,
    kind: str,
    baseline: str,
    candidate: str,
    baseline_samples: Mapping[str, Sequence[float]],
    candidate_samples: Mapping[str, Sequence[float]],
    threshold_percent: float,
    alpha: float,
    min_runs: int,
) -> Comparison:
    """Every component with at least ``min_runs`` (and 2) successful durations on both sides."""
    enough = max(2, min_runs)
    components = tuple(
        compare_samples(
            name,
            baseline_samples[name],
            candidate_samples[name],
            threshold_percent=threshold_percent,
            alpha=alpha,
        )
        for name in sorted(set(baseline_samples) & set(candidate_samples))
        if len(baseline_samples[name]) >= enough and len(candidate_samples[name]) >= enough
    )
    return Comparison(kind=kind, baseline=baseline, candidate=candidate, components=components)
