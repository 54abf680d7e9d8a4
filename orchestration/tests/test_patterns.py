from __future__ import annotations

import statistics

import pytest

from orchestration.engine.patterns import (
    analyze_velocity,
    assess_data_quality,
    compute_features,
    detect_success_patterns,
    find_similar_projects,
    optimal_task_count,
    pattern_confidence,
    round_half_up,
)
from orchestration.engine.values import HistoryFeatures, SimilarProject, SprintOutcome


def outcome(total: int, completed: int, weeks: int = 2) -> SprintOutcome:
    return SprintOutcome(
        sprint_id="x", task_count=total, completed_count=completed, duration_weeks=weeks
    )


def features(
    project_id: str,
    team: int,
    tasks: float,
    rate: float,
    weeks: float,
    velocity: float,
    optimal: int = 8,
) -> HistoryFeatures:
    return HistoryFeatures(
        project_id=project_id,
        team_size=team,
        closed_sprints=5,
        mean_tasks_per_sprint=tasks,
        mean_completion_rate=rate,
        mean_duration_weeks=weeks,
        mean_velocity=velocity,
        optimal_task_count=optimal,
    )


def test_round_half_up_does_not_round_to_even():
    assert round_half_up(2.5) == 3
    assert round_half_up(8.5) == 9
    assert round_half_up(8.49) == 8


def test_features_are_the_means_of_the_closed_sprints():
    result = compute_features(
        project_id="P",
        team_size=4,
        outcomes=[outcome(10, 8), outcome(12, 9), outcome(8, 8, weeks=3)],
    )

    assert result is not None
    assert result.closed_sprints == 3
    assert result.mean_tasks_per_sprint == pytest.approx(10.0)
    assert result.mean_completion_rate == pytest.approx((0.8 + 0.75 + 1.0) / 3)
    assert result.mean_duration_weeks == pytest.approx(7 / 3)
    assert result.mean_velocity == pytest.approx(25 / 3)
    assert result.optimal_task_count == 8


def test_a_project_without_closed_sprints_has_no_features():
    assert compute_features(project_id="P", team_size=4, outcomes=[]) is None


def test_the_optimal_size_is_the_best_mean_completion_rate_and_ties_go_to_the_larger_size():
    assert optimal_task_count([outcome(6, 6), outcome(9, 9), outcome(12, 10)]) == 9
    assert optimal_task_count([outcome(6, 3), outcome(6, 6), outcome(8, 6)]) == 8
    assert optimal_task_count([outcome(0, 0)]) == 0


def test_a_twin_project_is_similar_and_an_opposite_one_is_not():
    target = features("T", 5, 10, 0.8, 2, 8)
    twin = features("A", 5, 10, 0.8, 2, 8, optimal=9)
    opposite = features("B", 9, 20, 0.4, 4, 3)

    similar = find_similar_projects(target, [target, twin, opposite])

    assert [p.project_id for p in similar] == ["A"]
    assert similar[0].similarity_score == pytest.approx(1.0)
    assert similar[0].optimal_task_count == 9


def test_a_population_of_identical_projects_is_all_similar():
    target = features("T", 5, 10, 0.8, 2, 8)

    similar = find_similar_projects(target, [features("A", 5, 10, 0.8, 2, 8)])

    assert [(p.project_id, p.similarity_score) for p in similar] == [("A", 1.0)]


def test_similarity_is_a_kernel_on_the_distance_of_standardised_features():
    target = features("T", 4, 10, 0.9, 2, 9)
    others = [features("A", 5, 12, 0.8, 2, 9), features("B", 8, 20, 0.5, 3, 10)]
    # The population is the candidates; the target's own row is one of them in the service.
    rows = [(4, 10, 0.9, 2, 9), (5, 12, 0.8, 2, 9), (8, 20, 0.5, 3, 10)]
    floors = (0.5, 0.5, 0.05, 0.25, 0.5)
    scales = [
        max(statistics.pstdev(column), floor)
        for column, floor in zip(zip(*rows[1:], strict=True), floors, strict=True)
    ]
    squared = sum(((t - a) / s) ** 2 for t, a, s in zip(rows[0], rows[1], scales, strict=True))

    similar = find_similar_projects(target, others, threshold=0.0)

    assert similar[0].project_id == "A"
    assert similar[0].similarity_score == pytest.approx(round(1 / (1 + squared / 5.25), 4))


def test_at_most_ten_similar_projects_are_kept_best_first_ties_by_id():
    target = features("T", 5, 10, 0.8, 2, 8)
    twins = [features(f"P{i:02d}", 5, 10, 0.8, 2, 8) for i in range(12, 0, -1)]
    different = features("Z", 9, 30, 0.2, 4, 2)

    similar = find_similar_projects(target, [*twins, different])

    assert [p.project_id for p in similar] == [f"P{i:02d}" for i in range(1, 11)]


def test_velocity_trend_uses_least_squares_over_the_last_ten_sprints():
    history = [20, 1, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6]
    recent = history[-10:]
    expected = statistics.linear_regression(range(10), recent).slope

    trend = analyze_velocity(history)

    assert trend.sprints_analyzed == 10
    assert trend.slope == pytest.approx(round(expected, 4))
    assert trend.trend == "increasing"
    assert trend.confidence == pytest.approx(round(1.0 * (1 - expected), 4))
    assert (trend.current_velocity, trend.historical_min, trend.historical_max) == (6, 3, 6)


@pytest.mark.parametrize(
    ("completed", "label"),
    [([5, 5, 5, 5], "stable"), ([8, 7, 6, 5], "decreasing"), ([5, 5, 6, 5], "stable")],
)
def test_velocity_labels_use_the_0_1_slope_boundaries(completed, label):
    assert analyze_velocity(completed).trend == label


def test_velocity_confidence_is_clamped_to_zero_for_steep_slopes():
    assert analyze_velocity([2, 4, 6, 8]).confidence == 0.0


def test_velocity_of_no_history_is_stable_with_no_confidence():
    trend = analyze_velocity([])

    assert (trend.trend, trend.confidence, trend.sprints_analyzed) == ("stable", 0.0, 0)


def test_success_indicators_summarise_the_similar_projects():
    similar = [
        SimilarProject("A", 0.9, 5, 0.85, 2.0, 8),
        SimilarProject("B", 0.8, 5, 0.80, 3.0, 9),
    ]

    indicators = detect_success_patterns(similar)

    assert indicators.optimal_tasks_per_sprint == 9
    assert indicators.recommended_duration_weeks == 3
    assert indicators.success_probability == 0.5
    assert indicators.projects_analyzed == 2


def test_data_quality_completeness_is_the_mean_of_its_three_parts():
    outcomes = [outcome(10, 8)] * 4 + [outcome(0, 0)]

    quality = assess_data_quality(outcomes=outcomes, retrospectives=4)

    assert quality.completeness_score == pytest.approx(round((0.5 + 0.8 + 0.8) / 3, 4))
    assert quality.quality_level == "medium"
    assert any("no retrospective" in issue for issue in quality.issues)
    assert any("no task snapshot" in issue for issue in quality.issues)


def test_pattern_confidence_is_in_the_unit_interval():
    similar = (SimilarProject("A", 0.9, 5, 0.85, 2.0, 8),)
    quality = assess_data_quality(outcomes=[outcome(10, 8)] * 10, retrospectives=10)

    confidence = pattern_confidence(
        similar=similar, velocity=analyze_velocity([8] * 10), quality=quality
    )

    assert confidence == pytest.approx(round((0.9 / 3 + 1.0 + 1.0) / 3, 4))
    assert 0.0 <= confidence <= 1.0
