"""Turning the clinic's wall-clock times into UTC instants, DST gaps and overlaps included."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.scheduling.intervals import Interval


def wall_to_utc(wall: datetime, tz: ZoneInfo) -> datetime | None:
    """Return the UTC instant the naive local ``wall`` time names in ``tz``, or None.

    None means the wall time does not exist (it falls in a spring-forward gap). An ambiguous
    wall time (the repeated hour when clocks fall back) maps to its first occurrence (fold=0),
    so a grid of wall times never yields the same local time twice.
    """
    if wall.tzinfo is not None:
        raise ValueError("wall_to_utc() takes a naive local wall time")
    utc = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    # zoneinfo silently maps a nonexistent time to some instant; the round trip exposes it.
    if utc.astimezone(tz).replace(tzinfo=None) != wall:
        return None
    return utc


def boundary_to_utc(wall: datetime, tz: ZoneInfo) -> datetime:
    """Return the first instant whose local wall time in ``tz`` is at or after ``wall``.

    Used for the edges of working ranges and days: an edge inside a spring-forward gap
    (a range ending 01:30 on a day the clock jumps 01:00 -> 02:00) becomes the jump itself.
    """
    utc = wall_to_utc(wall, tz)
    if utc is not None:
        return utc
    # In a gap, the two folds use the offsets before and after the jump; the jump lies between.
    a = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    b = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = min(a, b), max(a, b)
    # Local time is monotonic across a gap, so bisect (second resolution) for the jump.
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return hi


def local_midnight(day: date) -> datetime:
    """Return naive local midnight at the start of ``day``."""
    return datetime.combine(day, time())


def local_day(day: date, tz: ZoneInfo) -> Interval:
    """Return the UTC instants that make up the clinic-local calendar ``day`` (23-25 h long)."""
    start = boundary_to_utc(local_midnight(day), tz)
    end = boundary_to_utc(local_midnight(day + timedelta(days=1)), tz)
    return Interval(start, end)
