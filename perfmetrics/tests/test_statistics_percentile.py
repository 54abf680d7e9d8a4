"""``perfmetrics.statistics.percentile`` against PostgreSQL's own ``percentile_cont``."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from perfmetrics.statistics import percentile

FRACTIONS = (0.0, 0.5, 0.95, 0.99, 1.0)
_rng = random.Random(11)
SAMPLES = {
    "random": [_rng.uniform(0.5, 900.0) for _ in range(137)],
    "ties": [5.0, 7.0, 5.0, 9.0, 7.0, 5.0, 7.0, 7.0],
    "one value": [42.5],
    "two values": [10.0, 3.0],
    "small integers": [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0],
}


def percentile_cont(values: list[float], fractions: tuple[float, ...]) -> list[float | None]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(%s::float8[]) WITHIN GROUP (ORDER BY v) "
            "FROM unnest(%s::float8[]) AS v",
            [list(fractions), values],
        )
        row = cursor.fetchone()
    assert row is not None
    return list(row[0]) if row[0] is not None else [None] * len(fractions)


@pytest.mark.django_db
@pytest.mark.parametrize("name", SAMPLES)
def test_it_equals_postgresql_percentile_cont(name):
    values = SAMPLES[name]

    expected = percentile_cont(values, FRACTIONS)

    # The same arithmetic on both sides; the tolerance of a few units in the last place
    # leaves room for a compiler that fuses PostgreSQL's multiply-add.
    assert [percentile(values, f) for f in FRACTIONS] == pytest.approx(expected, rel=1e-12)


@pytest.mark.django_db
def test_it_is_none_where_postgresql_gives_null():
    assert percentile_cont([], (0.5,)) == [None]
    assert percentile([], 0.5) is None


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two():
    assert percentile([40.0, 10.0, 30.0, 20.0], 0.5) == 25.0
    assert percentile([40.0, 10.0, 30.0, 20.0], 0.95) == pytest.approx(38.5)


def test_it_accepts_any_iterable_and_leaves_the_input_unsorted():
    values = [3.0, 1.0, 2.0]

    assert percentile(iter(values), 1.0) == 3.0
    assert values == [3.0, 1.0, 2.0]


@pytest.mark.parametrize("fraction", [-0.01, 1.5])
def test_a_fraction_outside_0_to_1_is_refused_as_postgresql_refuses_it(fraction):
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentile([1.0, 2.0], fraction)
