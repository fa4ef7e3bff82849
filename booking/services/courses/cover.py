"""One clearance for a whole course: what it does to the other held sessions.

``clearance.attest`` (the patient's statement, staff's, or the clinician's own link) and a
therapist's approval call :func:`apply_clearance` in their own transaction once the
session they were given for is settled. Every other held session of the course that
starts before the clearance's ``valid_until`` is confirmed the same way; a session after
it stays held until shortly before its own start (HOLD_HOURS_BEFORE_START), for a new
clearance; "not cleared" releases every held session, as it releases the one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from booking.extensions import db
from booking.models import ApprovalState, Booking, BookingStatus, Clearance, ClearanceOutcome
from booking.scheduling import moves
from booking.services import transitions
from booking.services.audit import Actor
from booking.services.clinic_settings import current_policy

OPEN = (BookingStatus.HELD, BookingStatus.EXPIRED)


def siblings(booking: Booking, *, statuses=None) -> list[Booking]:
    """The other sessions of ``booking``'s course, by session; [] for a single booking."""
    if booking.course_id is None:
        return []
    query = select(Booking).where(Booking.course_id == booking.course_id, Booking.id != booking.id)
    if statuses is not None:
        query = query.where(Booking.status.in_(statuses))
    return list(
        db.session.scalars(
            query.order_by(Booking.course_session).execution_options(populate_existing=True)
        )
    )


def apply_clearance(
    booking: Booking,
    clearance: Clearance,
    *,
    actor: Actor,
    now: datetime,
    reserve_again: Callable[[Booking], bool],
) -> list[Booking]:
    """Confirm or release the course's other held sessions by ``clearance``; return those changed.

    ``reserve_again(session)`` re-reserves a lapsed session's time and says whether it could
    (a lapsed session whose time is gone stays as it is). Runs inside the caller's write
    transaction, after the session the clearance was given for.
    """
    changed = []
    for session in siblings(booking, statuses=OPEN):
        if session.starts_at <= now:
            continue
        refused = clearance.approval is ApprovalState.REFUSED
        if clearance.outcome is ClearanceOutcome.NOT_CLEARED or refused:
            if transitions.apply(
                session,
                moves.RELEASE,
                actor=actor,
                now=now,
                strict=False,
                reason="clearance_refused" if refused else "not_cleared",
                course_clearance=clearance.id,
            ):
                changed.append(session)
            continue
        if clearance.valid_until is not None and session.starts_at >= clearance.valid_until:
            if _hold_until_shortly_before(session, actor=actor, now=now):
                changed.append(session)
            continue
        if session.status is BookingStatus.EXPIRED and not reserve_again(session):
            continue
        if transitions.apply(
            session,
            moves.CONFIRM,
            actor=actor,
            now=now,
            strict=False,
            by="course_clearance",
            course_clearance=clearance.id,
        ):
            changed.append(session)
    return changed


def _hold_until_shortly_before(session: Booking, *, actor: Actor, now: datetime) -> bool:
    """Keep a session the clearance does not reach held until shortly before its start."""
    if session.status is not BookingStatus.HELD or not session.blocks_at(now):
        return False
    until = session.starts_at - current_policy().hold_before_start
    if until <= session.hold_expires_at:
        return False
    return transitions.apply(
        session,
        moves.EXTEND_HOLD,
        actor=actor,
        now=now,
        strict=False,
        values={"hold_expires_at": until},
        reason="clearance_runs_out_before_this_session",
        until=until.isoformat(),
    )


def clearance_runs_out(booking: Booking, *, now: datetime) -> datetime | None:
    """When the patient's clearance runs out, for a held session it does not reach.

    A held session of a course whose patient holds a valid clearance that ends at or
    before the session's start: the patient must send a new one before it. None otherwise.
    """
    if booking.course_id is None or booking.status is not BookingStatus.HELD:
        return None
    return db.session.scalar(
        select(Clearance.valid_until)
        .where(
            Clearance.patient_id == booking.patient_id,
            Clearance.valid_until > now,
            Clearance.valid_until <= booking.starts_at,
            Clearance.outcome != ClearanceOutcome.NOT_CLEARED,
            Clearance.approval.in_([ApprovalState.NOT_NEEDED, ApprovalState.APPROVED]),
        )
        .order_by(Clearance.valid_until.desc())
        .limit(1)
    )
