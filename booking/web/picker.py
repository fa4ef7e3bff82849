"""The time picker shared by the booking flow and the manage page's reschedule.

A week is shown as a strip of its days, each with its count of free times, and one chosen
day's times grouped into morning, afternoon and evening. Every choice is a link or a submit
button, so the picker works the same without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import request

from booking.models import Service
from booking.scheduling import Slot
from booking.services import availability, availability_cache, catalog

DAYS_SHOWN = 7

#: Parts of the day by the hour they start (clinic time), as a patient thinks of them.
PERIODS = (("morning", "Morning", 0), ("afternoon", "Afternoon", 12), ("evening", "Evening", 17))


@dataclass(frozen=True)
class PickerTime:
    value: str  # ISO 8601 UTC, what the form posts back
    label: str  # "09:00" in the clinic's zone
    therapists: str = ""  # who could take it, when the patient asked for any therapist
    period: str = "morning"
    # A held booking: when the clearance must reach us if this time is chosen (clinic zone).
    clearance_by: datetime | None = None


@dataclass(frozen=True)
class TimeGroup:
    key: str
    title: str
    times: list[PickerTime]


@dataclass(frozen=True)
class PickerDay:
    day: date
    times: list[PickerTime]
    #: A short line shown under the day's heading (e.g. a deadline that applies that day).
    note: str | None = None

    @property
    def groups(self) -> list[TimeGroup]:
        return [
            TimeGroup(key, title, [t for t in self.times if t.period == key])
            for key, title, _ in PERIODS
            if any(t.period == key for t in self.times)
        ]


@dataclass(frozen=True)
class StripDay:
    """One day of the week strip: its date and how many free times it has."""

    day: date
    count: int


@dataclass(frozen=True)
class WeekOption:
    first_day: date
    label: str


@dataclass(frozen=True)
class Picker:
    first_day: date
    last_day: date
    days: list[PickerDay]  # the days that have free times, in order
    previous_from: date | None
    next_from: date | None
    zone_name: str
    strip: list[StripDay] = field(default_factory=list)  # every day of the week shown
    selected: PickerDay | None = None  # the day whose times are shown
    next_available: date | None = None  # the first free day after an empty week
    weeks: list[WeekOption] = field(default_factory=list)  # jumps inside the horizon


def requested_from() -> date | None:
    """Return the ``from`` day of the query string, or None when absent or malformed."""
    return _requested_day("from")


def requested_day() -> date | None:
    """Return the ``day`` of the query string (the day whose times to show), or None."""
    return _requested_day("day")


def _requested_day(name: str) -> date | None:
    raw = request.args.get(name, "")
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        return None


def _period(hour: int) -> str:
    return [key for key, _, starts in PERIODS if hour >= starts][-1]


def _who(slot: Slot, names: dict[int, str]) -> str:
    first = [names[i].split()[0] for i in slot.therapist_ids if i in names]
    if len(first) <= 2:
        return " or ".join(first)
    return f"{len(first)} therapists"


def build(
    service: Service,
    minutes: int,
    *,
    now: datetime,
    first_day: date | None,
    therapist_id: int | None = None,
    earliest_start: datetime | None = None,
    exclude_booking_id: int | None = None,
    day: date | None = None,
    clearance_deadline: Callable[[datetime], datetime] | None = None,
) -> Picker:
    """Return a week of free times from ``first_day``, showing the times of ``day``.

    Without a ``first_day`` the week starts at the first day that has a free time (within
    the horizon), so a patient never lands on an empty week. ``day`` defaults to the week's
    first day with free times; a ``day`` of the week with none is shown as full. An empty
    week names the next day that has one.
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

    names = {t.id: t.name for t in catalog.active_therapists()} if therapist_id is None else {}
    by_day: dict[date, list[PickerTime]] = {}
    for slot in found:
        local = slot.start.astimezone(zone)
        by_day.setdefault(local.date(), []).append(
            PickerTime(
                slot.start.isoformat(),
                local.strftime("%H:%M"),
                therapists=_who(slot, names) if names else "",
                period=_period(local.hour),
                clearance_by=clearance_deadline(slot.start).astimezone(zone)
                if clearance_deadline
                else None,
            )
        )
    days = [PickerDay(d, times, _deadline_note(times)) for d, times in sorted(by_day.items())]
    selected = next((d for d in days if d.day == day), None)
    if selected is None and days and day is not None and first_day <= day <= last_day:
        # A full day the patient chose from the strip: shown as full, so what follows it
        # (the waitlist's "tell me if a time comes up") is about that day, not another.
        selected = PickerDay(day, [])
    elif selected is None:
        selected = days[0] if days else None
    next_available = None
    if not days and last_day < last_bookable:
        later = slots(last_day + timedelta(days=1), last_bookable)
        next_available = later[0].start.astimezone(zone).date() if later else None

    previous_from = first_day - _week() if first_day > today else None
    if previous_from is not None and previous_from < today:
        previous_from = today
    next_from = last_day + timedelta(days=1)
    return Picker(
        first_day=first_day,
        last_day=last_day,
        days=days,
        previous_from=previous_from,
        next_from=next_from if next_from <= last_bookable else None,
        zone_name=zone.key,
        strip=[
            StripDay(
                first_day + timedelta(days=i), len(by_day.get(first_day + timedelta(days=i), ()))
            )
            for i in range(DAYS_SHOWN)
            if first_day + timedelta(days=i) <= last_bookable
        ],
        selected=selected,
        next_available=next_available,
        weeks=_weeks(today, last_bookable),
    )


def _deadline_note(times: list[PickerTime]) -> str | None:
    """For a booking that will be held: the clearance deadline of the day's times."""
    deadlines = [t.clearance_by for t in times if t.clearance_by is not None]
    if not deadlines:
        return None
    first, last = min(deadlines), max(deadlines)
    note = f"Clearance needed by {first.strftime('%A %-d %B, %H:%M')}"
    if last != first:
        note += f" (later times: up to {last.strftime('%A %-d %B, %H:%M')})"
    return note + "."


def _weeks(today: date, last_bookable: date) -> list[WeekOption]:
    """Return the weeks a patient may jump to: this one, then every Monday in the horizon."""
    starts = [today]
    monday = today + timedelta(days=7 - today.weekday())
    while monday <= last_bookable:
        starts.append(monday)
        monday += _week()
    return [
        WeekOption(
            start, "This week" if start == today else f"Week of {start:%a} {start.day} {start:%B}"
        )
        for start in starts
    ]


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
