"""Availability for the picker, the API and the booking verbs.

Loads, for one window, only the rows that can matter (three statements whatever the window,
the number of therapists or the size of the history), turns them into the pure scheduler's
values and asks it. Nothing is cached: the cold computation is within the page budget, and
a cache shared by several workers and hosts would need invalidation on every booking, hold
expiry and schedule change. Reading the database every time cannot go stale.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    Integer,
    and_,
    cast,
    exists,
    literal,
    literal_column,
    null,
    select,
    union_all,
)

from booking.extensions import db
from booking.models import (
    Booking,
    BookingStatus,
    Closure,
    Room,
    Service,
    Therapist,
    TimeOff,
    WorkingHours,
)
from booking.models.catalog import therapist_services
from booking.models.types import UTCDateTime
from booking.scheduling import (
    BusyBooking,
    Interval,
    Policy,
    Slot,
    SlotQuery,
    TherapistAvailability,
    WeeklyRange,
    find_slots,
)
from booking.services import clearance_window

# No booking keeps a therapist busy longer than this (longest service plus buffer is far
# less). It bounds the look-back, so finding overlapping bookings is a range scan over the
# window on ix_bookings_start instead of a scan of all history.
MAX_BUSY_SPAN = timedelta(hours=12)

BLOCKING = (BookingStatus.CONFIRMED, BookingStatus.ARRIVED, BookingStatus.HELD)


@dataclass(frozen=True)
class ClinicWindow:
    """Everything the scheduler needs for one window, as plain values."""

    therapists: tuple[TherapistAvailability, ...]
    positions: dict[int, int]
    slugs: dict[int, str]
    room_ids: tuple[int, ...]
    bookings: tuple[BusyBooking, ...]
    closures: tuple[Interval, ...]


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["CLINIC_TIMEZONE"])


def policy() -> Policy:
    c = current_app.config
    return Policy(
        slot_minutes=int(c["BOOKING_SLOT_MINUTES"]),
        min_notice=timedelta(minutes=int(c["BOOKING_MIN_NOTICE_MINUTES"])),
        horizon=timedelta(days=int(c["BOOKING_HORIZON_DAYS"])),
    )


def hold_start_bound(now: datetime) -> datetime:
    """Return the earliest start a clearance hold may take (leaves a working day to get
    cleared; see ``services.clearance_window``)."""
    return clearance_window.earliest_hold_start(now)


def utc_window(first_day: date, last_day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Return the UTC span whose rows can affect slots starting on ``first_day..last_day``.

    One local day either side: hours that cross midnight start the day before, and a slot
    late on the last day runs into the next.
    """
    start = datetime.combine(first_day - timedelta(days=1), time(0), zone)
    end = datetime.combine(last_day + timedelta(days=2), time(0), zone)
    return start, end


def load_window(
    service_id: int,
    window_start: datetime,
    window_end: datetime,
    therapist_id: int | None,
    exclude_booking_id: int | None = None,
) -> ClinicWindow:
    """Read the therapists offering ``service_id`` and what blocks them in the window.

    One statement: a UNION ALL of the therapists' weekly hours, the active rooms, the
    blocking bookings, time off and closures, each part a range scan on its index.
    """
    offers = exists().where(
        therapist_services.c.therapist_id == Therapist.id,
        therapist_services.c.service_id == service_id,
    )
    # Typed NULLs: PostgreSQL types a UNION pairwise, and two untyped NULLs make "text".
    no_int = cast(null(), Integer)
    no_time = cast(null(), UTCDateTime)
    busy = union_all(
        # The first SELECT gives the UNION its column types, so instants come back as aware
        # UTC datetimes on both databases.
        select(
            literal("hours").label("kind"),
            Therapist.id.label("therapist_id"),
            no_int.label("room_id"),
            no_time.label("starts_at"),
            no_time.label("ends_at"),
            Therapist.slug.label("text"),
            no_time.label("hold_expires_at"),
            Therapist.position.label("n1"),
            WorkingHours.weekday.label("n2"),
            WorkingHours.start_minute.label("n3"),
            WorkingHours.end_minute.label("n4"),
        )
        .join(WorkingHours, WorkingHours.therapist_id == Therapist.id)
        .where(Therapist.active.is_(True), offers)
        .where(True if therapist_id is None else Therapist.id == therapist_id),
        select(
            literal("room"),
            null(),
            Room.id,
            null(),
            null(),
            null(),
            null(),
            no_int,
            no_int,
            no_int,
            no_int,
        ).where(Room.active.is_(True)),
        select(
            literal("booking"),
            Booking.therapist_id,
            Booking.room_id,
            Booking.starts_at,
            Booking.busy_until,
            Booking.status,
            Booking.hold_expires_at,
            no_int,
            no_int,
            no_int,
            no_int,
        ).where(
            Booking.starts_at >= window_start - MAX_BUSY_SPAN,
            Booking.starts_at < window_end,
            Booking.busy_until > window_start,
            # ``status || ''`` keeps the planner off ix_bookings_status_hold_expiry: without
            # statistics SQLite prefers an equality index to a range, and that index reads
            # every booking ever made with a blocking status (the whole history).
            Booking.status.concat(literal_column("''")).in_(BLOCKING),
            # A booking being moved does not block its own new time.
            True if exclude_booking_id is None else Booking.id != exclude_booking_id,
        ),
        select(
            literal("time_off"),
            TimeOff.therapist_id,
            null(),
            TimeOff.starts_at,
            TimeOff.ends_at,
            null(),
            null(),
            no_int,
            no_int,
            no_int,
            no_int,
        ).where(TimeOff.ends_at > window_start, TimeOff.starts_at < window_end),
        select(
            literal("closure"),
            null(),
            null(),
            Closure.starts_at,
            Closure.ends_at,
            null(),
            null(),
            no_int,
            no_int,
            no_int,
            no_int,
        ).where(and_(Closure.ends_at > window_start, Closure.starts_at < window_end)),
    )
    rows = db.session.execute(busy).all()

    weekly: dict[int, list[WeeklyRange]] = defaultdict(list)
    positions: dict[int, int] = {}
    slugs: dict[int, str] = {}
    room_ids: list[int] = []
    bookings: list[BusyBooking] = []
    time_off: dict[int, list[Interval]] = defaultdict(list)
    closures: list[Interval] = []
    for kind, tid, room_id, starts_at, ends_at, text, hold_expires_at, *numbers in rows:
        if kind == "hours":
            position, weekday, start_minute, end_minute = numbers
            weekly[tid].append(WeeklyRange(weekday, start_minute, end_minute))
            positions[tid] = position
            slugs[tid] = text
        elif kind == "room":
            room_ids.append(room_id)
        elif kind == "booking":
            bookings.append(
                BusyBooking(
                    therapist_id=tid,
                    room_id=room_id,
                    start=starts_at,
                    busy_until=ends_at,
                    status=str(text),
                    hold_expires_at=hold_expires_at,
                )
            )
        elif kind == "time_off":
            time_off[tid].append(Interval(starts_at, ends_at))
        else:
            closures.append(Interval(starts_at, ends_at))

    therapists = tuple(
        TherapistAvailability(
            therapist_id=tid,
            position=positions[tid],
            service_ids=frozenset({service_id}),
            weekly=tuple(ranges),
            time_off=tuple(time_off.get(tid, ())),
        )
        for tid, ranges in weekly.items()
    )
    return ClinicWindow(
        therapists=therapists,
        positions=positions,
        slugs=slugs,
        room_ids=tuple(sorted(room_ids)),
        bookings=tuple(bookings),
        closures=tuple(closures),
    )


@dataclass(frozen=True)
class Availability:
    slots: list[Slot]
    window: ClinicWindow


def slots_for(
    service: Service,
    minutes: int,
    first_day: date,
    last_day: date,
    *,
    now: datetime,
    therapist_id: int | None = None,
    earliest_start: datetime | None = None,
    exclude_booking_id: int | None = None,
    rules: Policy | None = None,
) -> Availability:
    """Return the bookable starts for ``service`` lasting ``minutes`` on those local days.

    ``rules`` replaces the clinic's policy (the cache computes without notice or horizon
    and applies them when it reads).
    """
    zone = clinic_zone()
    window_start, window_end = utc_window(first_day, last_day, zone)
    window = load_window(service.id, window_start, window_end, therapist_id, exclude_booking_id)
    query = SlotQuery(
        service_id=service.id,
        duration_minutes=minutes,
        buffer_minutes=service.buffer_minutes,
        first_day=first_day,
        last_day=last_day,
        therapist_ids=None if therapist_id is None else frozenset({therapist_id}),
        earliest_start=earliest_start,
    )
    slots = find_slots(
        query,
        tz=zone,
        therapists=window.therapists,
        room_ids=window.room_ids,
        bookings=window.bookings,
        closures=window.closures,
        now=now,
        policy=rules or policy(),
    )
    return Availability(slots=slots, window=window)


def is_offered(
    service: Service,
    minutes: int,
    start: datetime,
    *,
    now: datetime,
    therapist_id: int | None = None,
    earliest_start: datetime | None = None,
    exclude_booking_id: int | None = None,
) -> bool:
    """Say whether ``start`` is a free start for the service right now."""
    day = start.astimezone(clinic_zone()).date()
    found = slots_for(
        service,
        minutes,
        day,
        day,
        now=now,
        therapist_id=therapist_id,
        earliest_start=earliest_start,
        exclude_booking_id=exclude_booking_id,
    )
    return any(slot.start == start for slot in found.slots)
