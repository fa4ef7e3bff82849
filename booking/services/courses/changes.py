"""A course as the patient manages it: its sessions, and cancelling the rest in one go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from booking.extensions import db
from booking.models import Booking, BookingStatus
from booking.scheduling import moves
from booking.services import transitions
from booking.services.audit import Actor
from booking.services.bookings import ChangeRules, change_rules
from booking.services.courses.cover import clearance_runs_out
from booking.services.errors import BookingError
from booking.services.locking import run_in_write_transaction

ACTIVE = (BookingStatus.HELD, BookingStatus.CONFIRMED)


@dataclass(frozen=True)
class SessionView:
    """One session as the course's manage page lists it."""

    booking: Booking
    rules: ChangeRules
    # For a held session the patient's clearance does not reach: when it runs out.
    clearance_runs_out: datetime | None


@dataclass(frozen=True)
class CourseView:
    sessions: list[SessionView]
    total_pence: int  # what the sessions still booked cost
    cancellable: int  # sessions "cancel the rest" would cancel now


def sessions_of_course(course_id: int) -> list[Booking]:
    return list(
        db.session.scalars(
            select(Booking)
            .where(Booking.course_id == course_id)
            .options(joinedload(Booking.therapist))
            .order_by(Booking.course_session)
        )
    )


def view(booking: Booking, *, now: datetime) -> CourseView | None:
    """The course ``booking`` belongs to, session by session; None for a single booking."""
    if booking.course_id is None:
        return None
    rows = []
    for session in sessions_of_course(booking.course_id):
        rows.append(
            SessionView(session, change_rules(session, now), clearance_runs_out(session, now=now))
        )
    total = sum(r.booking.price_pence for r in rows if r.booking.status in ACTIVE)
    cancellable = sum(1 for r in rows if r.rules.can_cancel)
    return CourseView(rows, total, cancellable)


@dataclass(frozen=True)
class RestCancelled:
    cancelled: list[Booking]
    # Sessions to come that could not be cancelled online (inside the cut-off).
    kept: list[Booking]


def cancel_rest(
    booking_id: int, *, actor: Actor, now: datetime, enforce_cutoff: bool = True
) -> RestCancelled:
    """Cancel every session still to come of ``booking_id``'s course, in one transaction.

    Each session goes through the same step as a single cancel (its own audit row, freed
    time, cancellation email and SEQUENCE). Sessions inside the cancel cut-off stay (the
    patient is asked to call) unless ``enforce_cutoff`` is False (reception). Raises
    BookingError("not_in_course" | "not_active" | "cutoff"); nothing is cancelled then.
    """
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise BookingError("not_found", "We couldn't find that booking.")
    if booking.course_id is None:
        raise BookingError("not_in_course", "This booking is not part of a course.")
    course_id = booking.course_id

    def attempt() -> RestCancelled:
        # Locked, so a clearance or a move committing meanwhile is seen before each cancel.
        current = list(
            db.session.scalars(
                select(Booking)
                .where(Booking.course_id == course_id, Booking.status.in_(ACTIVE))
                .order_by(Booking.course_session)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        )
        cancelled, kept = [], []
        for session in current:
            rules = change_rules(session, now)
            if rules.reason == "finished":
                continue
            if enforce_cutoff and not rules.can_cancel:
                kept.append(session)
                continue
            transitions.apply(
                session, moves.CANCEL, actor=actor, now=now, course_rest=True, notified=True
            )
            cancelled.append(session)
        if not cancelled:
            if kept:
                raise BookingError(
                    "cutoff",
                    "It is too close to your next session to cancel online; please call us.",
                )
            raise BookingError("not_active", "No session of this course is left to cancel.")
        return RestCancelled(cancelled, kept)

    result = run_in_write_transaction(attempt)
    for session in [*result.cancelled, *result.kept]:
        db.session.refresh(session)
    return result
