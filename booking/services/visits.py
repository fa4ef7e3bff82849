"""The day of the visit: arrived, completed, no-show; and internal staff notes.

Each status change is a step of ``booking.scheduling.moves`` applied by
``services.transitions`` (a compare-and-set on the status) inside a serialised write
transaction, so two clicks at the desk (or a desk and a therapist) make one change. None of
these tells the patient anything: no outbox message is queued.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from booking import validation
from booking.extensions import db
from booking.models import Booking, BookingStatus, StaffNote
from booking.scheduling import moves
from booking.services import audit, availability, transitions
from booking.services.audit import Actor
from booking.services.errors import BookingError
from booking.services.locking import run_in_write_transaction

NOTE_MAX_LENGTH = 2000

# The step that moves a booking to each of the day's statuses (booking.scheduling.moves).
_STEPS = {
    BookingStatus.ARRIVED: moves.ARRIVE,
    BookingStatus.COMPLETED: moves.COMPLETE,
    BookingStatus.NO_SHOW: moves.MARK_NO_SHOW,
}


def can_mark(booking: Booking, status: BookingStatus, now: datetime) -> bool:
    """Say whether ``booking`` may move to ``status`` at ``now`` (views and templates share it)."""
    if booking.status not in _STEPS[status].sources:
        return False
    if status is BookingStatus.NO_SHOW:
        return now >= booking.starts_at
    if status is BookingStatus.ARRIVED:
        return _local_day(now) >= _local_day(booking.starts_at)
    return True


def _local_day(instant: datetime):
    return instant.astimezone(availability.clinic_zone()).date()


def _mark(booking_id: int, status: BookingStatus, *, actor: Actor, now: datetime) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise BookingError("not_found", "We couldn't find that booking.")
    step = _STEPS[status]

    def attempt() -> None:
        current = db.session.get(Booking, booking_id, populate_existing=True)
        transitions.check(current, step, now=now, field="value")
        if status is BookingStatus.NO_SHOW and now < current.starts_at:
            raise BookingError(
                "too_early",
                "A patient can only be marked as a no-show once the appointment has started.",
                field="value",
            )
        if status is BookingStatus.ARRIVED and _local_day(now) < _local_day(current.starts_at):
            raise BookingError(
                "too_early",
                "A patient can only arrive on the day of the appointment.",
                field="value",
            )
        transitions.apply(current, step, actor=actor, now=now, field="value")

    run_in_write_transaction(attempt)
    db.session.refresh(booking)
    return booking


def mark_arrived(booking_id: int, *, actor: Actor, now: datetime) -> Booking:
    """Mark a confirmed booking's patient as arrived (on the day of the appointment).

    Raises BookingError("not_found" | "wrong_status" | "too_early").
    """
    return _mark(booking_id, BookingStatus.ARRIVED, actor=actor, now=now)


def mark_completed(booking_id: int, *, actor: Actor, now: datetime) -> Booking:
    """Mark an arrived patient's treatment as completed.

    Raises BookingError("not_found" | "wrong_status").
    """
    return _mark(booking_id, BookingStatus.COMPLETED, actor=actor, now=now)


def mark_no_show(booking_id: int, *, actor: Actor, now: datetime) -> Booking:
    """Mark a confirmed booking as a no-show, once its start has passed.

    Raises BookingError("not_found" | "wrong_status" | "too_early").
    """
    return _mark(booking_id, BookingStatus.NO_SHOW, actor=actor, now=now)


def add_note(booking_id: int, text: str, *, actor: Actor, now: datetime) -> StaffNote:
    """Append an internal note to a booking; staff only, never shown to the patient.

    The audit event records that a note was added, not what it says (a note may mention
    health). Raises BookingError("not_found" | "invalid").
    """
    try:
        body = validation.clean_text(text, max_length=NOTE_MAX_LENGTH, multiline=True)
    except validation.InvalidInput as error:
        raise BookingError("invalid", str(error), field="body") from None
    if not body:
        raise BookingError("invalid", "Please write the note.", field="body")
    if db.session.get(Booking, booking_id) is None:
        raise BookingError("not_found", "We couldn't find that booking.")

    def attempt() -> StaffNote:
        booking = db.session.get(Booking, booking_id)
        note = StaffNote(
            booking_id=booking_id, staff_user_id=actor.staff_user_id, body=body, created_at=now
        )
        db.session.add(note)
        db.session.flush()
        audit.record("booking.note_added", actor=actor, now=now, booking=booking, note_id=note.id)
        return note

    return run_in_write_transaction(attempt)


def notes_for(booking_id: int) -> list[StaffNote]:
    """Return a booking's notes, oldest first."""
    return list(
        db.session.scalars(
            select(StaffNote)
            .where(StaffNote.booking_id == booking_id)
            .order_by(StaffNote.created_at, StaffNote.id)
        )
    )
