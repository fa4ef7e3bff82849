"""A read-only busy timeline answering "is this span free?" in O(log n)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import datetime


class Timeline:
    """Sorted, disjoint busy spans built once, then queried many times with bisect.

    Takes plain ``(start, end)`` pairs so the hot path of slot search builds no objects.
    """

    __slots__ = ("_ends", "_starts")

    def __init__(self, spans: Iterable[tuple[datetime, datetime]]) -> None:
        """Merge ``spans`` (half-open, any order, may overlap) into a searchable timeline."""
        starts: list[datetime] = []
        ends: list[datetime] = []
        for start, end in sorted(spans):
            if end <= start:
                continue
            if starts and start <= ends[-1]:
                if end > ends[-1]:
                    ends[-1] = end
            else:
                starts.append(start)
                ends.append(end)
        self._starts = starts
        self._ends = ends

    def __len__(self) -> int:
        return len(self._starts)

    @property
    def starts(self) -> list[datetime]:
        """Return the sorted starts of the busy spans (shared list: do not mutate)."""
        return self._starts

    @property
    def ends(self) -> list[datetime]:
        """Return the sorted ends of the busy spans, aligned with :attr:`starts`."""
        return self._ends

    def is_free(self, start: datetime, end: datetime) -> bool:
        """Say whether no busy span overlaps the half-open ``[start, end)``."""
        # The first busy span ending after ``start`` is the only one that can overlap,
        # because spans are disjoint and sorted (so their ends are sorted too).
        i = bisect_right(self._ends, start)
        return i == len(self._starts) or self._starts[i] >= end
