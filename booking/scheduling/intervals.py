"""Half-open time intervals over aware datetimes and the set operations on them."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


def require_aware(value: datetime, name: str) -> None:
    """Raise ValueError unless ``value`` is a timezone-aware datetime."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")


@dataclass(frozen=True, slots=True)
class Interval:
    """The instants ``start <= t < end``, stored as aware UTC datetimes.

    Half-open so that back-to-back appointments (10:00-11:00, 11:00-12:00) do not overlap.
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        require_aware(self.start, "start")
        require_aware(self.end, "end")
        if self.end <= self.start:
            raise ValueError(f"interval must end after it starts: {self.start} .. {self.end}")
        # Normalise so equal instants print, compare and hash the same whatever zone came in.
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))

    @property
    def duration(self) -> timedelta:
        """Return the length of the interval."""
        return self.end - self.start

    def contains(self, other: Interval) -> bool:
        """Say whether ``other`` lies wholly inside this interval."""
        return self.start <= other.start and other.end <= self.end


def overlaps(a: Interval, b: Interval) -> bool:
    """Say whether two intervals share at least one instant (touching ones do not)."""
    return a.start < b.end and b.start < a.end


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Return the union as sorted, disjoint intervals; overlapping or touching ones are joined.

    O(n log n): one sort, one sweep.
    """
    out: list[Interval] = []
    for iv in sorted(intervals, key=lambda i: (i.start, i.end)):
        if out and iv.start <= out[-1].end:
            if iv.end > out[-1].end:
                out[-1] = Interval(out[-1].start, iv.end)
        else:
            out.append(iv)
    return out


def subtract(base: Interval | Iterable[Interval], cuts: Iterable[Interval]) -> list[Interval]:
    """Return the parts of ``base`` not covered by any of ``cuts``, sorted and disjoint.

    O((n + m) log(n + m)): both sides are merged, then swept together once.
    """
    bases = merge([base] if isinstance(base, Interval) else base)
    holes = merge(cuts)
    result: list[Interval] = []
    first = 0  # first cut that can still touch the current or a later base
    for b in bases:
        while first < len(holes) and holes[first].end <= b.start:
            first += 1
        cursor = b.start
        k = first
        while k < len(holes) and holes[k].start < b.end:
            cut = holes[k]
            if cut.start > cursor:
                result.append(Interval(cursor, cut.start))
            cursor = max(cursor, cut.end)
            if cursor >= b.end:
                break
            k += 1
        if cursor < b.end:
            result.append(Interval(cursor, b.end))
    return result


def clip(intervals: Iterable[Interval], window: Interval) -> list[Interval]:
    """Return the union of ``intervals`` cut down to ``window``, sorted and disjoint."""
    merged = merge(intervals)
    # Skip everything that ends at or before the window with one bisect, not a scan.
    ends = [iv.end for iv in merged]
    out: list[Interval] = []
    for iv in merged[bisect_right(ends, window.start) :]:
        if iv.start >= window.end:
            break
        out.append(Interval(max(iv.start, window.start), min(iv.end, window.end)))
    return out
