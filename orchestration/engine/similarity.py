"""Project similarity on standardised history features (docs/design.md §4), pure and bulk.

Each project with history is a point of five features (team size, mean tasks per
sprint, mean completion rate, mean sprint duration, mean velocity). Each feature is
divided by its scale: the population standard deviation over every project with
history, floored by ``SCALE_FLOORS`` so a feature without spread (a population of one,
or of equal projects) is still well defined. The similarity of two projects is

    s = 1 / (1 + d² / LENGTH_SCALE²)

where d is the Euclidean distance between their standardised points: 1.0 for identical
features, falling towards 0 as they move apart, symmetric, and it depends on the
population only through the five scales, so one more typical project barely moves it.
With LENGTH_SCALE² = 1.5² * 7/3 = 5.25, the threshold 0.7 means d <= 1.5: two projects
are similar when they are at most 1.5 standard deviations apart over the five features
combined (for normally distributed features, about 5% of random pairs).

``FeatureMatrix`` holds the whole population as numpy columns sorted by project id
(so ties and the statistics are the same in every process) and scores a target
against all of it in a few vector operations.
"""

from __future__ import annotations

import math
import mmap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .values import HistoryFeatures, SimilarProject

SIMILARITY_THRESHOLD = 0.7
MAX_SIMILAR_PROJECTS = 10
# s = 0.7 exactly at d = 1.5: 1 / (1 + 1.5² / 5.25) = 1 / (1 + 3/7) = 0.7.
SIMILAR_WITHIN_DEVIATIONS = 1.5
LENGTH_SCALE_SQUARED = SIMILAR_WITHIN_DEVIATIONS**2 * 7 / 3
# The smallest scale of each feature, in its own unit: people, tasks, share of tasks
# completed, weeks, tasks completed. Differences well below these are noise.
SCALE_FLOORS = (0.5, 0.5, 0.05, 0.25, 0.5)
FEATURES = len(SCALE_FLOORS)

FloatArray = npt.NDArray[np.float64]
# (project id, team size, mean tasks, mean completion rate, mean weeks, mean velocity,
# optimal task count): one stored row, as the selectors read it.
FeatureRow = tuple[str, int, float, float, float, float, int]
# Rows scored per step: two float64 buffers of this many rows stay in a core's cache, so
# the five features are read from memory once instead of once per operation (§4).
SCORE_BLOCK = 32_768


@dataclass(frozen=True)
class FeatureColumns:
    """A chunk of stored rows as arrays, in any order: the ids as ASCII bytes, each of the
    five features (in ``feature_vector`` order) and the optimal task counts."""

    ids: npt.NDArray[np.bytes_]
    features: tuple[FloatArray, ...]
    optimal: npt.NDArray[np.int32]


def feature_vector(features: HistoryFeatures) -> tuple[float, ...]:
    return (
        float(features.team_size),
        features.mean_tasks_per_sprint,
        features.mean_completion_rate,
        features.mean_duration_weeks,
        features.mean_velocity,
    )


def feature_row(features: HistoryFeatures) -> FeatureRow:
    return (
        features.project_id,
        features.team_size,
        features.mean_tasks_per_sprint,
        features.mean_completion_rate,
        features.mean_duration_weeks,
        features.mean_velocity,
        features.optimal_task_count,
    )


def similarity_of_distance(squared_distance: float) -> float:
    """The kernel: 1 at distance 0, 0.7 at distance 1.5, 0.5 at distance sqrt(5.25)."""
    return 1.0 / (1.0 + squared_distance / LENGTH_SCALE_SQUARED)


def distance_limit(threshold: float) -> float:
    """The largest squared distance whose similarity is still >= ``threshold``."""
    if threshold <= 0:
        return math.inf
    return LENGTH_SCALE_SQUARED * (1.0 / threshold - 1.0)


def population_scales(vectors: Sequence[Sequence[float]]) -> tuple[float, ...]:
    """Each feature's population standard deviation, at least its floor.

    The textbook form (the matrix computes the same with numpy); an empty population
    has only the floors.
    """
    scales = []
    for index, floor in enumerate(SCALE_FLOORS):
        column = [float(v[index]) for v in vectors]
        if not column:
            scales.append(floor)
            continue
        mean = math.fsum(column) / len(column)
        deviation = math.sqrt(math.fsum((x - mean) ** 2 for x in column) / len(column))
        scales.append(max(deviation, floor))
    return tuple(scales)


def pair_similarity(a: Sequence[float], b: Sequence[float], scales: Sequence[float]) -> float:
    """The similarity of two feature vectors standardised by ``scales``."""
    squared = math.fsum(((x - y) / s) ** 2 for x, y, s in zip(a, b, scales, strict=True))
    return similarity_of_distance(squared)


def standard_deviation(column: FloatArray) -> float:
    """``column.std()``, by the same operations in the same order (so the same bits), with
    its one column-sized temporary in a private memory mapping unmapped on return.

    Freed by malloc instead, a temporary that large raises glibc's mmap threshold and
    stays in the heap: megabytes of a worker's RSS for good (docs/design.md §4).
    """
    size = len(column)
    mean = np.add.reduce(column) / size
    with mmap.mmap(-1, max(column.nbytes, 1)) as scratch:
        deviations = np.frombuffer(scratch, dtype=np.float64, count=size)
        np.subtract(column, mean, out=deviations)
        np.multiply(deviations, deviations, out=deviations)
        variance = np.add.reduce(deviations) / size
        del deviations  # the mapping closes only once no array uses it
    return float(np.sqrt(variance))


class FeatureMatrix:
    """Every project's features as numpy columns, rows sorted by project id.

    Memory per project: five float64 features, an int32 optimal task count and the id
    as fixed-width ASCII bytes (identifiers are ASCII, see ``identifier_validator``).
    Not thread-safe: the caller serialises ``apply`` and ``similar_to``.
    """

    def __init__(self) -> None:
        self.ids: npt.NDArray[np.bytes_] = np.empty(0, dtype="S1")
        self.columns: FloatArray = np.empty((FEATURES, 0), dtype=np.float64)
        self.optimal: npt.NDArray[np.int32] = np.empty(0, dtype=np.int32)
        self._scales: FloatArray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def of(cls, rows: Iterable[FeatureRow]) -> FeatureMatrix:
        matrix = cls()
        matrix.apply(upserts=list(rows), removals=())
        return matrix

    def copy(self) -> FeatureMatrix:
        twin = FeatureMatrix()
        twin.ids, twin.columns, twin.optimal = (
            self.ids.copy(),
            self.columns.copy(),
            self.optimal.copy(),
        )
        twin._scales = self._scales
        return twin

    def nbytes(self) -> int:
        return int(self.ids.nbytes + self.columns.nbytes + self.optimal.nbytes)

    def apply(self, *, upserts: Sequence[FeatureRow], removals: Iterable[str]) -> None:
        """Remove ``removals``, then insert or replace ``upserts`` (the last row of an id
        wins). Replacing is in place; inserting and removing cost one copy of the arrays."""
        gone = {r.encode() for r in removals}
        if gone:
            self._remove(np.array(sorted(gone)))
        latest = {row[0]: row for row in upserts}
        if not latest:
            return
        rows = [latest[key] for key in sorted(latest)]
        keys = np.array([row[0].encode() for row in rows])
        if keys.dtype.itemsize > self.ids.dtype.itemsize:
            self.ids = self.ids.astype(keys.dtype)
        values = np.array([row[1:6] for row in rows], dtype=np.float64).T
        optimal = np.array([row[6] for row in rows], dtype=np.int32)
        at = np.searchsorted(self.ids, keys)
        found = np.zeros(len(keys), dtype=bool)
        inside = at < len(self.ids)
        found[inside] = self.ids[at[inside]] == keys[inside]
        self.columns[:, at[found]] = values[:, found]
        self.optimal[at[found]] = optimal[found]
        new = ~found
        if new.any():
            self.ids = np.insert(self.ids, at[new], keys[new])
            self.columns = np.insert(self.columns, at[new], values[:, new], axis=1)
            self.optimal = np.insert(self.optimal, at[new], optimal[new])
        self._scales = None

    @classmethod
    def of_columns(
        cls, chunks: Iterable[FeatureColumns], *, rows: int, id_width: int
    ) -> FeatureMatrix:
        """A full load: the arrays are allocated once for ``rows`` (grown or trimmed if
        the chunks hold more or fewer), filled chunk by chunk and sorted once at the end
        unless the rows came in id order. Beside the matrix a load needs only the chunk
        in hand, so a worker's memory grows by the matrix and little else (§4)."""
        matrix = cls()
        matrix.ids = np.zeros(rows, dtype=f"S{max(id_width, 1)}")
        matrix.columns = np.empty((FEATURES, rows), dtype=np.float64)
        matrix.optimal = np.empty(rows, dtype=np.int32)
        filled = 0
        for chunk in chunks:
            end = filled + len(chunk.ids)
            if end > len(matrix.ids) or chunk.ids.dtype.itemsize > matrix.ids.dtype.itemsize:
                matrix._resize(max(end, len(matrix.ids)), chunk.ids.dtype.itemsize)
            matrix.ids[filled:end] = chunk.ids
            for index, values in enumerate(chunk.features):
                matrix.columns[index, filled:end] = values
            matrix.optimal[filled:end] = chunk.optimal
            filled = end
        if filled < len(matrix.ids):
            matrix._resize(filled, 0)
        matrix._sort()
        return matrix

    def _resize(self, rows: int, id_width: int) -> None:
        """Copy the arrays into new ones of ``rows`` rows and ids at least ``id_width`` wide."""
        width = max(self.ids.dtype.itemsize, id_width)
        kept = min(rows, len(self.ids))
        ids = np.zeros(rows, dtype=f"S{width}")
        columns = np.empty((FEATURES, rows), dtype=np.float64)
        optimal = np.empty(rows, dtype=np.int32)
        ids[:kept], columns[:, :kept], optimal[:kept] = (
            self.ids[:kept],
            self.columns[:, :kept],
            self.optimal[:kept],
        )
        self.ids, self.columns, self.optimal = ids, columns, optimal

    def _sort(self) -> None:
        """Put the rows in id order, one array at a time (the ids are unique)."""
        if len(self) < 2 or bool((self.ids[1:] > self.ids[:-1]).all()):
            return
        order = np.argsort(self.ids, kind="stable")
        self.ids = self.ids[order]
        for index in range(FEATURES):
            self.columns[index] = self.columns[index][order]
        self.optimal = self.optimal[order]
        self._scales = None

    def _remove(self, keys: npt.NDArray[np.bytes_]) -> None:
        at = np.searchsorted(self.ids, keys)
        inside = at < len(self.ids)
        rows = at[inside][self.ids[at[inside]] == keys[inside]]
        if len(rows):
            self.ids = np.delete(self.ids, rows)
            self.columns = np.delete(self.columns, rows, axis=1)
            self.optimal = np.delete(self.optimal, rows)
            self._scales = None

    def scales(self) -> FloatArray:
        """Population standard deviation of each feature, floored (cached until changed).

        One feature at a time: a temporary of one column, not of the whole matrix."""
        if self._scales is None:
            deviation = np.zeros(FEATURES)
            if len(self):
                for index in range(FEATURES):
                    deviation[index] = standard_deviation(self.columns[index])
            self._scales = np.maximum(deviation, np.array(SCALE_FLOORS))
        return self._scales

    def similar_to(
        self,
        target: HistoryFeatures,
        *,
        threshold: float = SIMILARITY_THRESHOLD,
        limit: int = MAX_SIMILAR_PROJECTS,
    ) -> tuple[SimilarProject, ...]:
        """The projects at least ``threshold`` similar to ``target``, best first, ties by
        project id, at most ``limit``; ``target`` itself is skipped."""
        if not len(self) or limit <= 0:
            return ()
        own = int(np.searchsorted(self.ids, target.project_id.encode()))
        if own == len(self) or self.ids[own] != target.project_id.encode():
            own = -1
        rows, squared = self._nearest(target, distance_limit(threshold), limit, skip=own)
        # Rows are in id order, so a stable sort on distance breaks ties by id.
        best = np.argsort(squared, kind="stable")[:limit]
        return tuple(self._similar_project(int(rows[i]), float(squared[i])) for i in best)

    def _nearest(
        self, target: HistoryFeatures, most: float, limit: int, *, skip: int
    ) -> tuple[npt.NDArray[np.intp], FloatArray]:
        """The rows within squared distance ``most`` of ``target`` (``skip`` left out),
        in row order with their squared distances: per block of ``SCORE_BLOCK`` rows only
        the ``limit`` nearest and every row tied with the last of them."""
        factors = [1.0 / float(s) for s in self.scales()]
        vector = feature_vector(target)
        size = min(len(self), SCORE_BLOCK)
        squared, buffer = np.empty(size), np.empty(size)
        rows: list[npt.NDArray[np.intp]] = []
        distances: list[FloatArray] = []
        for start in range(0, len(self), SCORE_BLOCK):
            stop = min(start + SCORE_BLOCK, len(self))
            block_squared, block = squared[: stop - start], buffer[: stop - start]
            # In place, the same operations in the same order for every row, so a row's
            # distance does not depend on the block it falls in.
            for index, value in enumerate(vector):
                np.subtract(self.columns[index, start:stop], value, out=block)
                block *= factors[index]
                if index == 0:
                    np.square(block, out=block_squared)
                else:
                    np.square(block, out=block)
                    block_squared += block
            kept = np.flatnonzero(block_squared <= most)
            if start <= skip < stop:
                kept = kept[kept != skip - start]
            if len(kept) > limit:
                # Keep every row tied with the limit-th nearest of the block.
                cut = np.partition(block_squared[kept], limit - 1)[limit - 1]
                kept = kept[block_squared[kept] <= cut]
            rows.append(kept + start)
            distances.append(block_squared[kept])
        return np.concatenate(rows), np.concatenate(distances)

    def _similar_project(self, row: int, squared_distance: float) -> SimilarProject:
        return SimilarProject(
            project_id=self.ids[row].decode(),
            similarity_score=round(similarity_of_distance(squared_distance), 4),
            team_size=int(self.columns[0, row]),
            completion_rate=round(float(self.columns[2, row]), 4),
            avg_sprint_duration=round(float(self.columns[3, row]), 2),
            optimal_task_count=int(self.optimal[row]),
        )
