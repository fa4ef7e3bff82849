"""Reads behind the reception day view, week view and hold queue.

Each function answers one page with a fixed handful of statements (no per-row loading):
the people, the bookings with what they are displayed with, and what is blocked. Nothing
here reads health data: a pending clearance is reported as a yes/no, never its contents.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from booking.extensions import db
from booking.models import (
    ApprovalState,
    Booking,
    BookingStatus,
    Clearance,
    ClinicianLink,
    Closure,
    MessageKind,
    OutboxMessage,
    Room,
    Therapist,
    TimeOff,
)
from booking.scheduling.localtime import local_day
from booking.services.availability import MAX_BUSY_SPAN, clinic_zone

# Bookings that no longer take their time; hidden from the calendar unless asked for.
INACTIVE_STATUSES = frozenset(
    {BookingStatus.CANCELLED, BookingStatus.EXPIRED, BookingStatus.RELEASED}
)
# What the hold queue shows as a booking's reminder history.
HOLD_MESSAGE_KINDS = (MessageKind.HELD, MessageKind.HOLD_REMINDER, MessageKind.COURSE_BOOKED)


@dataclass(frozen=True)
class Span:
    """A blocked period (time off or closure) with why."""

    starts_at: datetime
    ends_at: datetime
    reason: str
    therapist_id: int | None = None


@dataclass
class CalendarData:
    """Everything a calendar page shows for a UTC window."""

    window_start: datetime
    window_end: datetime
    therapists: list[Therapist]
    rooms: list[Room]
    bookings: list[Booking]
    time_off: list[Span]
    closures: list[Span]


def days_window(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """Return the UTC instants from the start of ``first_day`` to the end of ``last_day``."""
    zone = clinic_zone()
    return local_day(first_day, zone).start, local_day(last_day, zone).end


def calendar_data(
    first_day: date,
    last_day: date,
    *,
    therapist_ids: list[int] | None = None,
    include_inactive: bool = False,
) -> CalendarData:
    """Load the clinic's calendar for the local days ``first_day..last_day`` (inclusive).

    ``therapist_ids`` narrows everything (people, bookings, time off) to those therapists;
    None means the whole clinic. Five statements whatever the window.
    """
    start, end = days_window(first_day, last_day)

    therapists_q = (
        select(Therapist)
        .where(Therapist.active.is_(True))
        .options(selectinload(Therapist.working_hours))
        .order_by(Therapist.position, Therapist.id)
    )
    if therapist_ids is not None:
        therapists_q = therapists_q.where(Therapist.id.in_(therapist_ids))
    therapists = list(db.session.scalars(therapists_q))

    rooms = list(
        db.session.scalars(
            select(Room).where(Room.active.is_(True)).order_by(Room.position, Room.id)
        )
    )

    bookings_q = (
        select(Booking)
        .where(
            Booking.starts_at >= start - MAX_BUSY_SPAN,
            Booking.starts_at < end,
            Booking.ends_at > start,
        )
        .options(
            joinedload(Booking.patient),
            joinedload(Booking.service),
            joinedload(Booking.therapist),
            joinedload(Booking.room),
        )
        .order_by(Booking.starts_at, Booking.id)
    )
    if therapist_ids is not None:
        bookings_q = bookings_q.where(Booking.therapist_id.in_(therapist_ids))
    if not include_inactive:
        bookings_q = bookings_q.where(Booking.status.not_in(INACTIVE_STATUSES))
    bookings = list(db.session.scalars(bookings_q).unique())

    time_off_q = select(TimeOff).where(TimeOff.ends_at > start, TimeOff.starts_at < end)
    if therapist_ids is not None:
        time_off_q = time_off_q.where(TimeOff.therapist_id.in_(therapist_ids))
    time_off = [
        Span(t.starts_at, t.ends_at, t.reason, t.therapist_id)
        for t in db.session.scalars(time_off_q.order_by(TimeOff.starts_at))
    ]
    closures = [
        Span(c.starts_at, c.ends_at, c.reason)
        for c in db.session.scalars(
            select(Closure)
            .where(Closure.ends_at > start, Closure.starts_at < end)
            .order_by(Closure.starts_at)
        )
    ]
    return CalendarData(start, end, therapists, rooms, bookings, time_off, closures)


def active_therapists() -> list[Therapist]:
    """Return the therapists to choose from, in their listing order."""
    return list(
        db.session.scalars(
            select(Therapist)
            .where(Therapist.active.is_(True))
            .order_by(Therapist.position, Therapist.id)
        )
    )


@dataclass
class HeldBooking:
    """One row of the hold queue."""

    booking: Booking
    expired: bool
    clearance_pending: bool
    messages: list[OutboxMessage] = field(default_factory=list)
    # The links the patient sent their clinician for this hold, oldest first: reception
    # can say on the phone whether the GP was asked and whether the link was used.
    clinician_links: list[ClinicianLink] = field(default_factory=list)


def hold_queue(*, now: datetime, therapist_id: int | None = None) -> list[HeldBooking]:
    """Return every booking still marked held, soonest expiry first.

    Holds whose expiry has passed but which the worker has not marked yet are included and
    flagged ``expired``. Four statements: the bookings, their hold messages, which of them
    have a clearance awaiting a therapist's approval (only the booking id is read), and the
    clinician links sent for them.
    """
    q = (
        select(Booking)
        .where(Booking.status == BookingStatus.HELD)
        .options(
            joinedload(Booking.patient),
            joinedload(Booking.service),
            joinedload(Booking.therapist),
            joinedload(Booking.room),
        )
        .order_by(Booking.hold_expires_at, Booking.starts_at, Booking.id)
    )
    if therapist_id is not None:
        q = q.where(Booking.therapist_id == therapist_id)
    bookings = list(db.session.scalars(q).unique())
    if not bookings:
        return []
    ids = [b.id for b in bookings]

    messages: dict[int, list[OutboxMessage]] = defaultdict(list)
    for message in db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.booking_id.in_(ids), OutboxMessage.kind.in_(HOLD_MESSAGE_KINDS))
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ):
        messages[message.booking_id].append(message)

    pending = set(
        db.session.scalars(
            select(Clearance.booking_id).where(
                Clearance.booking_id.in_(ids), Clearance.approval == ApprovalState.PENDING
            )
        )
    )
    links: dict[int, list[ClinicianLink]] = defaultdict(list)
    for link in db.session.scalars(
        select(ClinicianLink)
        .where(ClinicianLink.booking_id.in_(ids))
        .order_by(ClinicianLink.created_at, ClinicianLink.id)
    ):
        links[link.booking_id].append(link)
    return [
        HeldBooking(
            booking=b,
            expired=b.hold_expires_at is not None and b.hold_expires_at <= now,
            clearance_pending=b.id in pending,
            messages=messages.get(b.id, []),
            clinician_links=links.get(b.id, []),
        )
        for b in bookings
    ]


def week_of(day: date) -> tuple[date, date]:
    """Return the Monday and Sunday of the week containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)
