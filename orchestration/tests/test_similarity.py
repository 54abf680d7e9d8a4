"""The similarity measure (docs/design.md §4): its properties, and the bulk matrix scoring
exactly like the one-pair textbook form."""

from __future__ import annotations

import math
import random
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.engine import patterns, similarity
from orchestration.engine.similarity import (
    SCALE_FLOORS,
    FeatureMatrix,
    distance_limit,
    feature_row,
    feature_vector,
    pair_similarity,
    population_scales,
)
from orchestration.engine.values import HistoryFeatures, SimilarProject

vectors = st.tuples(
    st.integers(min_value=1, max_value=20).map(float),
    st.floats(min_value=0, max_value=60),
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=1, max_value=4),
    st.floats(min_value=0, max_value=60),
)
populations = st.lists(vectors, min_size=1, max_size=40)


def project(project_id: str, vector: tuple[float, ...], optimal: int = 8) -> HistoryFeatures:
    team, tasks, rate, weeks, velocity = vector
    return HistoryFeatures(project_id, int(team), 5, tasks, rate, weeks, velocity, optimal)


def textbook_similar_projects(
    target: HistoryFeatures, candidates: list[HistoryFeatures], *, threshold: float, limit: int
) -> tuple[SimilarProject, ...]:
    """The straightforward form: scales over the population, then one pair at a time."""
    scales = population_scales([feature_vector(c) for c in candidates])
    scored = [
        (pair_similarity(feature_vector(target), feature_vector(c), scales), c)
        for c in candidates
        if c.project_id != target.project_id
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
            # Some columns without spread exercise the floor.
            mean_duration_weeks=2.0 if seed % 2 else rng.choice([1.0, 2.0, 2.5, 3.0]),
            mean_velocity=rng.uniform(1, 20),
            optimal_task_count=rng.randint(1, 25),
        )
        for i in range(size)
    ]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("threshold", [0.7, 0.3, 0.0])
def test_the_matrix_scores_like_the_textbook_version(seed, threshold):
    candidates = population(seed, 300)
    for target in candidates[:25]:
        fast = patterns.find_similar_projects(target, candidates, threshold=threshold, limit=400)
        slow = textbook_similar_projects(target, candidates, threshold=threshold, limit=400)
        assert [p.project_id for p in fast] == [p.project_id for p in slow]
        assert [p.similarity_score for p in fast] == pytest.approx(
            [p.similarity_score for p in slow], abs=1e-4
        )


@pytest.mark.parametrize("block", [1, 7, 64])
def test_scoring_block_by_block_changes_nothing(block):
    candidates = [*population(6, 300), *population(6, 20)]  # ties between blocks
    candidates = [
        HistoryFeatures(**{**c.__dict__, "project_id": f"P{i:03d}"})
        for i, c in enumerate(candidates)
    ]
    for target in candidates[:10]:
        whole = patterns.find_similar_projects(target, candidates, threshold=0.3, limit=25)
        with mock.patch.object(similarity, "SCORE_BLOCK", block):
            blocks = patterns.find_similar_projects(target, candidates, threshold=0.3, limit=25)
        assert blocks == whole
        slow = textbook_similar_projects(target, candidates, threshold=0.3, limit=25)
        assert [p.project_id for p in whole] == [p.project_id for p in slow]


@pytest.mark.parametrize("size", [1, 2, 7, 1000, 100_003])
def test_the_feature_scale_is_numpys_standard_deviation_to_the_bit(size):
    column = np.random.default_rng(size).normal(5.0, 3.0, size)

    assert similarity.standard_deviation(column) == column.std()


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


def test_the_threshold_0_7_means_one_and_a_half_standard_deviations():
    assert distance_limit(0.7) == pytest.approx(1.5**2)
    scales = (1.0,) * 5
    assert pair_similarity((0,) * 5, (1.5, 0, 0, 0, 0), scales) == pytest.approx(0.7)
    assert pair_similarity((0,) * 5, (0.9,) * 5, scales) < 0.7  # sqrt(5 * 0.81) > 1.5


@given(populations, vectors, vectors)
def test_it_is_symmetric_bounded_and_one_for_identical_features(members, a, b):
    scales = population_scales(members)

    assert pair_similarity(a, b, scales) == pair_similarity(b, a, scales)
    assert 0.0 <= pair_similarity(a, b, scales) <= 1.0
    assert pair_similarity(a, a, scales) == 1.0


@given(populations, vectors, vectors, st.floats(0, 3), st.floats(0, 3))
def test_it_decreases_as_features_move_apart(members, a, direction, near, far):
    scales = population_scales(members)
    near, far = sorted((near, far))

    def moved(step: float) -> tuple[float, ...]:
        return tuple(x + step * (d + 1) for x, d in zip(a, direction, strict=True))

    assert pair_similarity(a, moved(near), scales) >= pair_similarity(a, moved(far), scales)
    if far - near >= 0.01:  # below float resolution both can round to 1.0
        assert pair_similarity(a, moved(near), scales) > pair_similarity(a, moved(far), scales)


@given(vectors, vectors)
def test_it_is_well_defined_for_populations_of_one_and_two(a, b):
    alone = FeatureMatrix.of([feature_row(project("A", a))])
    pair = FeatureMatrix.of([feature_row(project("A", a)), feature_row(project("B", b))])

    assert alone.similar_to(project("A", a), threshold=0.0) == ()
    assert alone.similar_to(project("T", a), threshold=0.0)[0].similarity_score == 1.0
    scores = [
        pair.similar_to(project("A", a), threshold=0.0)[0].similarity_score,
        pair.similar_to(project("B", b), threshold=0.0)[0].similarity_score,
    ]
    assert scores[0] == scores[1]
    assert 0.0 <= scores[0] <= 1.0
    assert all(math.isfinite(s) for s in pair.scales())


@given(vectors, st.integers(min_value=1, max_value=30))
def test_a_population_of_equal_projects_is_all_similar(vector, size):
    matrix = FeatureMatrix.of(feature_row(project(f"P{i:02d}", vector)) for i in range(size))

    similar = matrix.similar_to(project("P00", vector), limit=size)

    assert [p.similarity_score for p in similar] == [1.0] * (size - 1)
    assert list(matrix.scales()) == list(SCALE_FLOORS)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(vectors, min_size=100, max_size=130),
    st.tuples(*[st.floats(min_value=-2, max_value=2)] * 5),
)
def test_one_more_typical_project_moves_no_score_by_more_than_a_hundredth(members, offsets):
    """A typical project lies within two standard deviations of the mean on every feature."""
    scales = population_scales(members)
    means = [math.fsum(column) / len(members) for column in zip(*members, strict=True)]
    newcomer = tuple(m + o * s for m, o, s in zip(means, offsets, scales, strict=True))
    grown = population_scales([*members, newcomer])

    pairs = [(a, b) for a in members[:8] for b in members[:20]]
    moved = [abs(pair_similarity(a, b, scales) - pair_similarity(a, b, grown)) for a, b in pairs]

    assert max(moved) <= 0.01


@settings(max_examples=30, deadline=None)
@given(st.lists(vectors, min_size=2, max_size=60), st.randoms(use_true_random=False))
def test_it_gives_identical_results_whatever_the_order_the_rows_arrived_in(members, rng):
    rows = [feature_row(project(f"P{i:03d}", v, optimal=i)) for i, v in enumerate(members)]
    shuffled = rows[:]
    rng.shuffle(shuffled)
    one_go = FeatureMatrix.of(rows)
    piecewise = FeatureMatrix()
    for start in range(0, len(shuffled), 7):
        piecewise.apply(upserts=shuffled[start : start + 7], removals=())

    for vector in members[:5]:
        target = project("P000", vector)
        first = one_go.similar_to(target, threshold=0.0, limit=100)
        assert first == piecewise.similar_to(target, threshold=0.0, limit=100)
        assert first == one_go.similar_to(target, threshold=0.0, limit=100)


def test_updates_and_removals_leave_the_matrix_as_if_built_from_scratch():
    rows = [feature_row(p) for p in population(7, 50)]
    matrix = FeatureMatrix.of(rows[:40])
    changed = (rows[3][0], 9, 1.0, 0.5, 3.0, 2.0, 4)

    matrix.apply(upserts=[*rows[40:], changed], removals=[rows[5][0], "UNKNOWN"])

    expected = FeatureMatrix.of(
        [changed if r[0] == changed[0] else r for r in rows if r != rows[5]]
    )
    assert matrix.ids.tolist() == expected.ids.tolist()
    assert (matrix.columns == expected.columns).all()
    assert (matrix.optimal == expected.optimal).all()
    target = project("T", (4.0, 10.0, 0.8, 2.0, 8.0))
    assert matrix.similar_to(target, threshold=0.0) == expected.similar_to(target, threshold=0.0)


def test_longer_ids_widen_the_matrix_without_losing_order():
    matrix = FeatureMatrix.of([("B", 1, 1.0, 1.0, 1.0, 1.0, 1), ("D", 1, 1.0, 1.0, 1.0, 1.0, 1)])

    matrix.apply(upserts=[("C-LONGER-ID", 1, 1.0, 1.0, 1.0, 1.0, 1)], removals=["B"])

    assert matrix.ids.tolist() == [b"C-LONGER-ID", b"D"]
