"""How long a held booking leaves to get cleared, and the earliest start that leaves enough.

DOMAIN.md section 2: a patient whose screen says HOLD is only offered starts that leave at
least one working day before the clearance deadline (the hold's expiry): by default 24 hours
that include the clinic's opening hours of at least one weekday, so nobody is given a
deadline that falls overnight or over a weekend when no GP can be reached.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.policy import ClinicPolicy
from booking.scheduling import hold_expiry
from booking.services.clinic_settings import current_policy


def _hours(value: str) -> tuple[time, time]:
    opens, _, closes = value.partition("-")
    return time.fromisoformat(opens.strip()), time.fromisoformat(closes.strip())


def _weekday_spans(first: date, last: date, zone: ZoneInfo, hours: str):
    opens, closes = _hours(hours)
    day = first
    while day <= last:
        if day.weekday() < 5:
            yield datetime.combine(day, opens, zone), datetime.combine(day, closes, zone)
        day += timedelta(days=1)


def earliest_working_deadline(
    now: datetime, *, zone: ZoneInfo, min_hours: int, hours: str, max_days: int = 14
) -> datetime:
    """The earliest deadline leaving ``min_hours`` and one weekday's whole opening hours."""
    floor = now + timedelta(hours=min_hours)
    today = now.astimezone(zone).date()
    for opens, closes in _weekday_spans(today, today + timedelta(days=max_days), zone, hours):
        if opens >= now:
            return max(floor, closes)
    return floor + timedelta(days=max_days)  # pragma: no cover - a weekday always comes


def _working_deadline(now: datetime, policy: ClinicPolicy) -> datetime:
    return earliest_working_deadline(
        now,
        zone=policy.zone,
        min_hours=policy.hold_min_hours_to_clear,
        hours=policy.hold_working_day_hours,
    )


def leaves_a_working_day(
    now: datetime, deadline: datetime, *, policy: ClinicPolicy | None = None
) -> bool:
    """Say whether ``deadline`` leaves the patient the configured working day."""
    return deadline >= _working_deadline(now, policy or current_policy())


def deadline_for(now: datetime, start: datetime, *, policy: ClinicPolicy | None = None) -> datetime:
    """The clearance deadline (hold expiry) a hold booked at ``now`` for ``start`` gets."""
    policy = policy or current_policy()
    return hold_expiry(
        now,
        start,
        max_after_booking=policy.hold_max_after_booking,
        before_start=policy.hold_before_start,
    )


def earliest_hold_start(now: datetime, *, policy: ClinicPolicy | None = None) -> datetime:
    """The earliest start whose deadline leaves a working day.

    The deadline is the earlier of (booked + 48 h) and (start - 24 h): when even the longest
    hold cannot reach a working day (a Friday evening), no start qualifies and the bound lies
    beyond the booking horizon, so nothing is offered.
    """
    policy = policy or current_policy()
    needed = _working_deadline(now, policy)
    if not _reaches(now, needed, policy):
        return now + timedelta(days=366 * 2)
    return needed + policy.hold_before_start


def _reaches(now: datetime, needed: datetime, policy: ClinicPolicy) -> bool:
    return needed <= now + policy.hold_max_after_booking


# How finely :func:`holds_open_from` looks for the moment holds are possible again.
_STEP = timedelta(minutes=15)
# What :func:`holds_open_from` answers when the settings never let a hold reach a working
# day (a hold shorter than the time it must leave to get cleared).
NEVER = datetime.max.replace(tzinfo=UTC)


def holds_open_from(now: datetime, *, policy: ClinicPolicy | None = None) -> datetime | None:
    """None if a hold can be booked at ``now``; otherwise the first time one can again.

    From a Friday morning the longest hold (by default 48 hours) ends before the next
    weekday's whole opening hours, so no start qualifies until it can reach Monday's: by
    default Saturday at 17:00 (16:00 or 18:00 when the clocks change that weekend). The
    answer is on a quarter-hour; NEVER when no moment in the next fortnight qualifies.
    """
    policy = policy or current_policy()
    if _reaches(now, _working_deadline(now, policy), policy):
        return None
    moment = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    for _ in range(14 * 24 * 4):
        moment += _STEP
        if _reaches(moment, _working_deadline(moment, policy), policy):
            return moment
    return NEVER
