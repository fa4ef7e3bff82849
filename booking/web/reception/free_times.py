"""Free times for the desk: the picker's week, each time saying with whom it is free."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from booking.models import Service, Therapist
from booking.services import availability, availability_cache, catalog
from booking.web import picker


@dataclass(frozen=True)
class FreeTime:
    value: str  # the posted ISO instant
    label: str  # "09:15"
    who: str  # "Amira" or "Amira, Tom" (everyone who could take it)


@dataclass(frozen=True)
class FreeDay:
    day: date
    times: list[FreeTime]


@dataclass(frozen=True)
class FreeWeek:
    first_day: date
    last_day: date
    days: list[FreeDay]
    previous_from: date | None
    next_from: date | None
    zone_name: str


def _first_names(ids: tuple[int, ...], names: dict[int, str]) -> str:
    return ", ".join(names.get(i, "?").split(" ")[0] for i in ids)


def build(
    service: Service,
    minutes: int,
    *,
    now: datetime,
    first_day: date | None,
    therapist_id: int | None = None,
    earliest_start: datetime | None = None,
    exclude_booking_id: int | None = None,
) -> FreeWeek:
    """Return the picker's week of free times, each with the therapists free then."""
    week = picker.build(
        service,
        minutes,
        now=now,
        first_day=first_day,
        therapist_id=therapist_id,
        earliest_start=earliest_start,
        exclude_booking_id=exclude_booking_id,
    )
    kwargs = {"now": now, "therapist_id": therapist_id, "earliest_start": earliest_start}
    if exclude_booking_id is not None:
        found = availability.slots_for(
            service,
            minutes,
            week.first_day,
            week.last_day,
            exclude_booking_id=exclude_booking_id,
            **kwargs,
        ).slots
    else:
        found = availability_cache.slots(
            service, minutes, week.first_day, week.last_day, **kwargs
        ).slots
    who = {slot.start.isoformat(): slot.therapist_ids for slot in found}
    names = {t.id: t.name for t in catalog.active_therapists()}
    days = [
        FreeDay(
            d.day,
            [
                FreeTime(t.value, t.label, _first_names(who.get(t.value, ()), names))
                for t in d.times
            ],
        )
        for d in week.days
    ]
    return FreeWeek(
        first_day=week.first_day,
        last_day=week.last_day,
        days=days,
        previous_from=week.previous_from,
        next_from=week.next_from,
        zone_name=week.zone_name,
    )


def default_option(therapist: Therapist | None, start: datetime | None, *, now: datetime) -> str:
    """The treatment a free cell of ``therapist`` proposes: the first they offer (in menu
    order, shortest length first) that fits at ``start``; else simply their first."""
    services = [s for s in (therapist.services if therapist else []) if s.active]
    options = [
        (s, d.minutes) for s in services for d in sorted(s.durations, key=lambda d: d.minutes)
    ]
    if not options:
        return ""
    if start is not None:
        day = day_of(start)
        for service, minutes in options:
            found = availability_cache.slots(
                service, minutes, day, day, now=now, therapist_id=therapist.id
            ).slots
            if any(slot.start == start for slot in found):
                return f"{service.slug}:{minutes}"
    service, minutes = options[0]
    return f"{service.slug}:{minutes}"


def day_of(value: datetime) -> date:
    return value.astimezone(availability.clinic_zone()).date()
