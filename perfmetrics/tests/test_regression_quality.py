"""The regression detector's error rates on synthetic samples (docs/design.md §5,
"Regressions"): 100 runs a side, log-normal durations with a 100 ms median and sigma 0.1 (a
run-to-run spread of about 10 %), the default threshold of 20 % and alpha 0.05."""

from __future__ import annotations

import numpy as np

from perfmetrics.regressions import compare_samples

TRIALS = 200
RUNS = 100
SIGMA = 0.1


def regression_rate(slowdown: float, *, seed: int) -> float:
    """Share of trials reported as a regression when the candidate's median is
    ``slowdown`` times the baseline's."""
    rng = np.random.default_rng(seed)
    reported = 0
    for _ in range(TRIALS):
        baseline = rng.lognormal(np.log(100.0), SIGMA, RUNS)
        candidate = rng.lognormal(np.log(100.0 * slowdown), SIGMA, RUNS)
        result = compare_samples(
            "component", baseline, candidate, threshold_percent=20.0, alpha=0.05
        )
        reported += result.regression
    return reported / TRIALS


def test_a_a_comparisons_raise_a_regression_at_most_5_percent_of_the_time():
    assert regression_rate(1.0, seed=1) <= 0.05


def test_a_20_percent_median_slowdown_is_detected_at_least_95_percent_of_the_time():
    assert regression_rate(1.2, seed=2) >= 0.95


def test_a_5_percent_slowdown_is_never_reported():
    assert regression_rate(1.05, seed=3) == 0.0


def test_a_significant_slowdown_below_the_threshold_is_not_a_regression():
    rng = np.random.default_rng(4)
    baseline = rng.lognormal(np.log(100.0), 0.02, 500)
    candidate = rng.lognormal(np.log(108.0), 0.02, 500)

    result = compare_samples("c", baseline, candidate, threshold_percent=20.0, alpha=0.05)

    assert result.significant
    assert result.ratio_high < 1.2
    assert not result.regression


def test_a_faster_candidate_is_never_a_regression():
    rng = np.random.default_rng(5)
    baseline = rng.lognormal(np.log(150.0), SIGMA, RUNS)
    candidate = rng.lognormal(np.log(100.0), SIGMA, RUNS)

    result = compare_samples("c", baseline, candidate, threshold_percent=20.0, alpha=0.05)

    assert result.p_value > 0.5
    assert not result.regression


def test_the_interval_surrounds_the_median_ratio():
    rng = np.random.default_rng(6)
    result = compare_samples(
        "c",
        rng.lognormal(np.log(100.0), SIGMA, RUNS),
        rng.lognormal(np.log(130.0), SIGMA, RUNS),
        threshold_percent=20.0,
        alpha=0.05,
    )

    assert result.ratio_low < result.ratio < result.ratio_high
    assert result.ratio_low < 1.3 < result.ratio_high
    assert result.baseline_runs == result.candidate_runs == RUNS


def test_identical_constant_samples_compare_cleanly():
    result = compare_samples("c", [5.0] * 20, [5.0] * 20, threshold_percent=20.0, alpha=0.05)

    assert (result.ratio, result.ratio_low, result.ratio_high) == (1.0, 1.0, 1.0)
    assert result.p_value == 1.0
    assert not result.regression
