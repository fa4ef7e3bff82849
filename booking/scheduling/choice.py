"""Deterministic, fair choice of a therapist when the patient picked "any therapist"."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from booking.scheduling.bookings import COMPLETED, NO_SHOW, BusyBooking, is_blocking
from booking.scheduling.intervals import require_aware
from booking.scheduling.localtime import local_day

# Therapists with no known position sort after every positioned one.
_NO_POSITION = float("inf")


def choose_therapist(
    candidates: Sequence[int],
    bookings_that_day: Mapping[int, int],
    positions: Mapping[int, int],
) -> int:
    """Return the candidate with the fewest bookings that day, then lowest position, then id.

    Spreads work evenly and never depends on the order of ``candidates``. A therapist
    missing from ``bookings_that_day`` has 0 bookings; one missing from ``positions``
    sorts after those with a position. Raises ValueError when there is no candidate.
    """
    if not candidates:
        raise ValueError("no candidate therapist")
    return min(
        candidates,
        key=lambda tid: (bookings_that_day.get(tid, 0), positions.get(tid, _NO_POSITION), tid),
    )


def bookings_per_therapist(
    bookings: Iterable[BusyBooking], day: date, *, tz: ZoneInfo, now: datetime
) -> dict[int, int]:
    """Count each therapist's bookings starting on the clinic-local ``day``, for fairness.

    Counts what takes (or took) their time: blocking bookings plus completed and no-show
    ones; cancelled, expired, released and lapsed holds do not count.
    """
    require_aware(now, "now")
    span = local_day(day, tz)
    counts: Counter[int] = Counter(
        b.therapist_id
        for b in bookings
        if span.start <= b.start < span.end
        and (b.status in (COMPLETED, NO_SHOW) or is_blocking(b, now))
    )
    return dict(counts)
