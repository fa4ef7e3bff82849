"""Clearance holds: marking the ones whose time ran out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, or_, select

from booking.extensions import db
from booking.models import Booking, BookingStatus
from booking.scheduling import moves
from booking.services import transitions
from booking.services.audit import Actor


def _overdue_hold(now: datetime):
    return (Booking.status == BookingStatus.HELD) & (Booking.hold_expires_at <= now)


def anything_overdue(now: datetime):
    """SQL: whether :func:`expire_overdue` has anything to do at ``now``.

    A verb asks this in the statement it reads its other facts with, and calls
    ``expire_overdue(..., known_overdue=...)``: nearly always nothing ran out, and then
    expiring costs no statement of its own.
    """
    from booking.services import reservations

    return or_(exists().where(_overdue_hold(now)), reservations.anything_overdue(now))


def expire_overdue(
    *, now: datetime, actor: Actor, known_overdue: bool | None = None
) -> list[Booking]:
    """Mark every hold whose expiry has passed as expired; return them.

    Runs inside the caller's transaction (the booking verbs call it before they write, so a
    PostgreSQL exclusion constraint never sees a dead hold as a conflict). Availability
    already ignores such holds, so marking them changes no offered slot. Each expired hold
    gets its audit event and its notice to the patient here. Overdue waitlist offers
    reserve time the same way and are ended here too. ``known_overdue`` is what
    :func:`anything_overdue` said in this transaction, when the caller already asked;
    otherwise it is asked first.
    """
    from booking.services import reservations

    if known_overdue is None:
        known_overdue = bool(db.session.scalar(select(anything_overdue(now))))
    if not known_overdue:
        return []
    reservations.release_overdue(now=now)
    # Fresh from the row: the compare-and-set expects the status as it is now.
    overdue = list(
        db.session.scalars(
            select(Booking)
            .where(_overdue_hold(now))
            .order_by(Booking.id)
            .execution_options(populate_existing=True)
        )
    )
    # Compare-and-set on status and expiry (``moves.EXPIRE``): a hold confirmed meanwhile
    # is left alone. This is the one place a hold's expiry notice is queued.
    return [
        booking
        for booking in overdue
        if transitions.apply(booking, moves.EXPIRE, actor=actor, now=now, strict=False)
    ]


def expire_holds(*, now: datetime, actor: Actor | None = None) -> list[int]:
    """Mark overdue holds expired in their own write transaction; return their ids.

    The verb behind ``flask booking expire-holds`` and the worker's expiry job.
    """
    from booking.services.locking import run_in_write_transaction

    return run_in_write_transaction(
        lambda: [b.id for b in expire_overdue(now=now, actor=actor or Actor.system())]
    )
