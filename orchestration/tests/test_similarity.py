"""find_similar_projects is optimised; it must score exactly like the textbook version."""

from __future__ import annotations

import math
import random
from statistics import fmean

import pytest

from orchestration.engine import patterns
from orchestration.engine.values import HistoryFeatures, SimilarProject


def textbook_similar_projects(
    target: HistoryFeatures, candidates: list[HistoryFeatures], *, threshold: float, limit: int
) -> tuple[SimilarProject, ...]:
    """The straightforward form: z-score every column, then cosine against each row."""
    others = [c for c in candidates if c.project_id != target.project_id]
    if not others:
        return ()
    rows = [patterns.feature_vector(target)] + [patterns.feature_vector(c) for c in others]
    columns = list(zip(*rows, strict=True))
    means = [fmean(column) for column in columns]
    deviations = [
        math.sqrt(fmean((value - mean) ** 2 for value in column))
        for column, mean in zip(columns, means, strict=True)
    ]
    normalised = [
        tuple(
            (value - mean) / deviation if deviation > 0 else 0.0
            for value, mean, deviation in zip(row, means, deviations, strict=True)
        )
        for row in rows
    ]
    scored = [
        (patterns.cosine_similarity(normalised[0], vector), candidate)
        for vector, candidate in zip(normalised[1:], others, strict=True)
    ]
    kept = sorted(
        ((score, c) for score, c in scored if score >= threshold),
        key=lambda item: (-item[0], item[1].project_id),
    )[:limit]
    return tuple(
        SimilarProject(
            project_id=c.project_id,
            similarity_score=round(score, 4),
            team_size=c.team_size,
            completion_rate=round(c.mean_completion_rate, 4),
            avg_sprint_duration=round(c.mean_duration_weeks, 2),
            optimal_task_count=c.optimal_task_count,
        )
        for score, c in kept
    )


def population(seed: int, size: int) -> list[HistoryFeatures]:
    rng = random.Random(seed)
    return [
        HistoryFeatures(
            project_id=f"P{i:04d}",
            team_size=rng.randint(2, 9),
            closed_sprints=rng.randint(1, 40),
            mean_tasks_per_sprint=rng.uniform(1, 25),
            mean_completion_rate=rng.uniform(0.2, 1.0),
            # Some columns without spread exercise the zero-deviation branch.
            mean_duration_weeks=2.0 if seed % 2 else rng.choice([1.0, 2.0, 2.5, 3.0]),
            mean_velocity=rng.uniform(1, 20),
            optimal_task_count=rng.randint(1, 25),
        )
        for i in range(size)
    ]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("threshold", [0.7, 0.0, -1.0])
def test_it_scores_exactly_like_the_textbook_version(seed, threshold):
    candidates = population(seed, 300)
    for target in candidates[:25]:
        fast = patterns.find_similar_projects(target, candidates, threshold=threshold, limit=400)
        slow = textbook_similar_projects(target, candidates, threshold=threshold, limit=400)
        assert fast == slow


def test_identical_projects_are_fully_similar_and_the_target_is_skipped():
    candidates = population(5, 20)
    twin = HistoryFeatures(**{**candidates[0].__dict__, "project_id": "TWIN"})

    similar = patterns.find_similar_projects(candidates[0], [*candidates, twin])

    assert similar[0] == SimilarProject(
        project_id="TWIN",
        similarity_score=1.0,
        team_size=twin.team_size,
        completion_rate=round(twin.mean_completion_rate, 4),
        avg_sprint_duration=round(twin.mean_duration_weeks, 2),
        optimal_task_count=twin.optimal_task_count,
    )
    assert candidates[0].project_id not in {s.project_id for s in similar}


def test_a_population_without_spread_is_all_similar():
    same = [HistoryFeatures(f"P{i}", 4, 5, 6.0, 0.8, 2.0, 5.0, 6) for i in range(5)]

    similar = patterns.find_similar_projects(same[0], same)

    assert [(p.project_id, p.similarity_score) for p in similar] == [
        ("P1", 1.0),
        ("P2", 1.0),
        ("P3", 1.0),
        ("P4", 1.0),
    ]
