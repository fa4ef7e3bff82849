"""Blocked time: a therapist's time off and whole-clinic closures.

Adding a block never cancels anything: the bookings it overlaps are returned so reception
can decide, booking by booking, whether to move or cancel them (and tell the patient).
Availability reads these tables directly, so a new block closes its time to new bookings
as soon as it commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from booking import validation
from booking.extensions import db
from booking.models import Booking, BookingStatus, Closure, Therapist, TimeOff
from booking.services import audit
from booking.services.audit import Actor
from booking.services.errors import BookingError
from booking.services.locking import run_in_write_transaction

REASON_MAX_LENGTH = 200


@dataclass(frozen=True)
class BlockResult:
    block: TimeOff | Closure
    overlapping: list[Booking]


def _check_span(start: datetime, end: datetime, now: datetime) -> None:
    if end <= start:
        raise BookingError("invalid", "The end must be after the start.", field="end")
    if end <= now:
        raise BookingError("invalid", "That time is already over.", field="end")


def _clean_reason(reason: str) -> str:
    try:
        return validation.clean_text(reason, max_length=REASON_MAX_LENGTH)
    except validation.InvalidInput as error:
        raise BookingError("invalid", str(error), field="reason") from None


def overlapping_bookings(
    start: datetime, end: datetime, *, now: datetime, therapist_id: int | None = None
) -> list[Booking]:
    """Return the bookings still taking time between ``start`` and ``end``, soonest first.

    Confirmed and arrived bookings, and holds that have not expired; one therapist's, or
    everyone's when ``therapist_id`` is None.
    """
    live = or_(
        Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.ARRIVED)),
        and_(
            Booking.status.in_((BookingStatus.HELD, BookingStatus.OFFERED)),
            Booking.hold_expires_at > now,
        ),
    )
    query = (
        select(Booking)
        .where(live, Booking.starts_at < end, Booking.ends_at > start)
        .options(selectinload(Booking.therapist), selectinload(Booking.service))
        .order_by(Booking.starts_at, Booking.id)
    )
    if therapist_id is not None:
        query = query.where(Booking.therapist_id == therapist_id)
    return list(db.session.scalars(query))


def add_time_off(
    therapist_id: int,
    start: datetime,
    end: datetime,
    reason: str,
    *,
    actor: Actor,
    now: datetime,
) -> BlockResult:
    """Block ``start``..``end`` for one therapist; return it with the bookings it overlaps.

    Raises BookingError("invalid" | "not_found").
    """
    _check_span(start, end, now)
    reason = _clean_reason(reason)
    if db.session.get(Therapist, therapist_id) is None:
        raise BookingError("not_found", "Choose a therapist.", field="therapist")

    def attempt() -> TimeOff:
        block = TimeOff(therapist_id=therapist_id, starts_at=start, ends_at=end, reason=reason)
        db.session.add(block)
        db.session.flush()
        audit.record(
            "schedule.time_off_added",
            actor=actor,
            now=now,
            time_off_id=block.id,
            therapist_id=therapist_id,
            starts_at=start.isoformat(),
            ends_at=end.isoformat(),
            reason=reason,
        )
        return block

    block = run_in_write_transaction(attempt)
    return BlockResult(block, overlapping_bookings(start, end, now=now, therapist_id=therapist_id))


def add_closure(
    start: datetime, end: datetime, reason: str, *, actor: Actor, now: datetime
) -> BlockResult:
    """Close the whole clinic ``start``..``end``; return it with the bookings it overlaps.

    Raises BookingError("invalid").
    """
    _check_span(start, end, now)
    reason = _clean_reason(reason)

    def attempt() -> Closure:
        block = Closure(starts_at=start, ends_at=end, reason=reason)
        db.session.add(block)
        db.session.flush()
        audit.record(
            "schedule.closure_added",
            actor=actor,
            now=now,
            closure_id=block.id,
            starts_at=start.isoformat(),
            ends_at=end.isoformat(),
            reason=reason,
        )
        return block

    block = run_in_write_transaction(attempt)
    return BlockResult(block, overlapping_bookings(start, end, now=now))


def remove_time_off(time_off_id: int, *, actor: Actor, now: datetime) -> None:
    """Delete a therapist's time off, opening its time again. Raises BookingError("not_found")."""

    def attempt() -> None:
        block = db.session.get(TimeOff, time_off_id)
        if block is None:
            raise BookingError("not_found", "That time off no longer exists.")
        audit.record(
            "schedule.time_off_removed",
            actor=actor,
            now=now,
            time_off_id=block.id,
            therapist_id=block.therapist_id,
            starts_at=block.starts_at.isoformat(),
            ends_at=block.ends_at.isoformat(),
        )
        db.session.delete(block)

    run_in_write_transaction(attempt)


def remove_closure(closure_id: int, *, actor: Actor, now: datetime) -> None:
    """Delete a clinic closure, opening its time again. Raises BookingError("not_found")."""

    def attempt() -> None:
        block = db.session.get(Closure, closure_id)
        if block is None:
            raise BookingError("not_found", "That closure no longer exists.")
        audit.record(
            "schedule.closure_removed",
            actor=actor,
            now=now,
            closure_id=block.id,
            starts_at=block.starts_at.isoformat(),
            ends_at=block.ends_at.isoformat(),
        )
        db.session.delete(block)

    run_in_write_transaction(attempt)


def upcoming_time_off(now: datetime) -> list[TimeOff]:
    """Time off not yet over, soonest first, with its therapist loaded."""
    return list(
        db.session.scalars(
            select(TimeOff)
            .where(TimeOff.ends_at > now)
            .options(selectinload(TimeOff.therapist))
            .order_by(TimeOff.starts_at, TimeOff.id)
        )
    )


def upcoming_closures(now: datetime) -> list[Closure]:
    """Closures not yet over, soonest first."""
    return list(
        db.session.scalars(
            select(Closure).where(Closure.ends_at > now).order_by(Closure.starts_at, Closure.id)
        )
    )
