"""Deadlines for held bookings that wait on a patient's medical clearance."""

from __future__ import annotations

from datetime import datetime, timedelta

from booking.scheduling.intervals import require_aware


def hold_expiry(
    booked_at: datetime,
    start: datetime,
    *,
    max_after_booking: timedelta = timedelta(hours=48),
    before_start: timedelta = timedelta(hours=24),
) -> datetime:
    """Return when a hold made at ``booked_at`` for an appointment at ``start`` lapses.

    The earlier of ``booked_at + max_after_booking`` and ``start - before_start``: a hold
    never ties a slot up for more than two days, and it is settled a day before the
    appointment so the slot can still be offered to someone else.
    """
    require_aware(booked_at, "booked_at")
    require_aware(start, "start")
    return min(booked_at + max_after_booking, start - before_start)


def earliest_hold_start(
    now: datetime,
    *,
    min_time_to_clear: timedelta = timedelta(hours=12),
    before_start: timedelta = timedelta(hours=24),
) -> datetime:
    """Return the earliest appointment start a new hold may take at ``now``.

    A hold lapses ``before_start`` ahead of the appointment; the patient still needs
    ``min_time_to_clear`` to obtain clearance before that, so start >= now + 12 h + 24 h.
    Pass the result as ``SlotQuery.earliest_start``.
    """
    require_aware(now, "now")
    return now + min_time_to_clear + before_start
