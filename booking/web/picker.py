"""The time picker shared by the booking flow and the manage page's reschedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import request

from booking.models import Service
from booking.scheduling import Slot
from booking.services import availability, availability_cache

DAYS_SHOWN = 7


@dataclass(frozen=True)
class PickerTime:
    value: str  # ISO 8601 UTC, what the form posts back
    label: str  # "09:00" in the clinic's zone


@dataclass(frozen=True)
class PickerDay:
    day: date
    times: list[PickerTime]


@dataclass(frozen=True)
class Picker:
    first_day: date
    last_day: date
    days: list[PickerDay]
    previous_from: date | None
    next_from: date | None
    zone_name: str


def requested_from() -> date | None:
    """Return the ``from`` day of the query string, or None when absent or malformed."""
    raw = request.args.get("from", "")
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        return None


def build(
    service: Service,
    minutes: int,
    *,
    now: datetime,
    first_day: date | None,
    therapist_id: int | None = None,
    earliest_start: datetime | None = None,
    exclude_booking_id: int | None = None,
) -> Picker:
    """Return a week of free times from ``first_day``.

    Without a ``first_day`` the week starts at the first day that has a free time (within
    the horizon), so a patient never lands on an empty week.
    """
    zone = availability.clinic_zone()
    today = now.astimezone(zone).date()
    last_bookable = (now + availability.policy().horizon).astimezone(zone).date()

    def slots(first: date, last: date) -> list[Slot]:
        if exclude_booking_id is not None:  # a reschedule: the booking's own time is free
            return availability.slots_for(
                service,
                minutes,
                first,
                last,
                now=now,
                therapist_id=therapist_id,
                earliest_start=earliest_start,
                exclude_booking_id=exclude_booking_id,
            ).slots
        return availability_cache.slots(
            service,
            minutes,
            first,
            last,
            now=now,
            therapist_id=therapist_id,
            earliest_start=earliest_start,
        ).slots

    if first_day is None:
        ahead = slots(today, last_bookable)
        first_day = ahead[0].start.astimezone(zone).date() if ahead else today
        found = [s for s in ahead if s.start.astimezone(zone).date() < first_day + _week()]
    else:
        first_day = min(max(first_day, today), last_bookable)
        found = slots(first_day, first_day + _week() - timedelta(days=1))
    last_day = first_day + _week() - timedelta(days=1)

    by_day: dict[date, list[PickerTime]] = {}
    for slot in found:
        local = slot.start.astimezone(zone)
        by_day.setdefault(local.date(), []).append(
            PickerTime(slot.start.isoformat(), local.strftime("%H:%M"))
        )
    previous_from = first_day - _week() if first_day > today else None
    if previous_from is not None and previous_from < today:
        previous_from = today
    next_from = last_day + timedelta(days=1)
    return Picker(
        first_day=first_day,
        last_day=last_day,
        days=[PickerDay(day, times) for day, times in sorted(by_day.items())],
        previous_from=previous_from,
        next_from=next_from if next_from <= last_bookable else None,
        zone_name=zone.key,
    )


def _week() -> timedelta:
    return timedelta(days=DAYS_SHOWN)


def parse_start(value: str) -> datetime | None:
    """Read a posted start back (an aware ISO 8601 instant), or None if it is not one."""
    # fromisoformat's C parser stops at a NUL, so refuse anything unprintable first.
    if not isinstance(value, str) or not value.isprintable():
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None or len(value) > 40:
        return None
    return parsed
