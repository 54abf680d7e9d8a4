"""Every project's history features, kept in memory by each worker (docs/design.md §4).

Scoring a project against the whole fleet is a few numpy operations over a
``FeatureMatrix``; reading the fleet from the database on every call is what would
grow with its size. So each process loads the matrix once (one COPY, parsed in chunks) and
then, before every scoring, applies only the rows changed since the snapshot it last
read: one indexed statement, usually returning nothing. A sprint closed anywhere is
committed before the next orchestration starts, so that orchestration sees it.
"""

from __future__ import annotations

import threading

from ..engine.similarity import FeatureMatrix
from ..engine.values import HistoryFeatures, SimilarProject
from ..selectors.history import (
    HistoryChanges,
    Seen,
    history_changes,
    history_columns,
    history_load_start,
)

# Rows parsed at a time during a full load: bounds the memory a load needs beside the
# matrix (under 1 MB of COPY stream and its arrays, docs/design.md §4).
LOAD_CHUNK = 10_000


class FleetFeatures:
    """The matrix of one process and the snapshot it reflects; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._matrix = FeatureMatrix()
        self._seen: Seen | None = None

    def similar_to(self, target: HistoryFeatures) -> tuple[SimilarProject, ...]:
        """The projects similar to ``target`` among every project with history.

        Call within a transaction that has not yet written history features, or at
        least not before this process first loaded them (orchestration reads before it
        writes): a full load cannot tell this transaction's rows from committed ones.
        """
        with self._lock:
            changes = self._refresh()
            matrix = self._matrix
            if changes.own_upserts or changes.own_removals or changes.own_cleared:
                # Uncommitted rows of this transaction: visible to it alone, for this call.
                matrix = FeatureMatrix() if changes.own_cleared else matrix.copy()
                matrix.apply(upserts=changes.own_upserts, removals=changes.own_removals)
            return matrix.similar_to(target)

    def nbytes(self) -> int:
        return self._matrix.nbytes()

    def forget(self) -> None:
        """Drop everything; the next call loads the fleet again."""
        with self._lock:
            self._matrix, self._seen = FeatureMatrix(), None

    def _refresh(self) -> HistoryChanges:
        if self._seen is None:
            return self._load()
        changes = history_changes(self._seen)
        if changes.cleared:
            self._matrix = FeatureMatrix()
        self._matrix.apply(upserts=changes.upserts, removals=changes.removals)
        self._seen = changes.seen
        return changes

    def _load(self) -> HistoryChanges:
        """Every row: the snapshot and size first, then one COPY parsed ``LOAD_CHUNK`` rows
        at a time straight into arrays allocated once. Rows changed after that snapshot
        are left to the next refresh, which starts from it."""
        start, size = history_load_start()
        chunks = history_columns(start.seen, size, chunk=LOAD_CHUNK)
        self._matrix = FeatureMatrix.of_columns(chunks, rows=size.rows, id_width=size.id_width)
        self._seen = start.seen
        return start
