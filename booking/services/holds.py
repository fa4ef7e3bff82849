"""Clearance holds: marking the ones whose time ran out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from booking.extensions import db
from booking.models import Booking, BookingStatus, MessageKind
from booking.notify import outbox
from booking.services import audit
from booking.services.audit import Actor


def expire_overdue(*, now: datetime, actor: Actor) -> list[Booking]:
    """Mark every hold whose expiry has passed as expired; return them.

    Runs inside the caller's transaction (the booking verbs call it before they write, so a
    PostgreSQL exclusion constraint never sees a dead hold as a conflict). Availability
    already ignores such holds, so marking them changes no offered slot. Compare-and-set on
    status and expiry: a hold confirmed meanwhile is left alone. Overdue waitlist offers
    reserve time the same way and are ended here too.
    """
    from booking.services.waitlist import reservations

    reservations.release_overdue(now=now)
    overdue = list(
        db.session.scalars(
            select(Booking)
            .where(Booking.status == BookingStatus.HELD, Booking.hold_expires_at <= now)
            .order_by(Booking.id)
        )
    )
    expired = []
    for booking in overdue:
        changed = db.session.execute(
            update(Booking)
            .where(
                Booking.id == booking.id,
                Booking.status == BookingStatus.HELD,
                Booking.hold_expires_at <= now,
            )
            .values(
                status=BookingStatus.EXPIRED,
                updated_at=now,
                ics_sequence=Booking.ics_sequence + 1,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            audit.record("booking.hold_expired", actor=actor, now=now, booking=booking)
            outbox.queue(MessageKind.HOLD_EXPIRED, booking, now=now)
            expired.append(booking)
    return expired


def expire_holds(*, now: datetime, actor: Actor | None = None) -> list[int]:
    """Mark overdue holds expired in their own write transaction; return their ids.

    The verb behind ``flask booking expire-holds`` and the worker's expiry job.
    """
    from booking.services.locking import run_in_write_transaction

    return run_in_write_transaction(
        lambda: [b.id for b in expire_overdue(now=now, actor=actor or Actor.system())]
    )
