"""Clearance holds: marking the ones whose time ran out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from booking.extensions import db
from booking.models import Booking, BookingStatus
from booking.services import audit
from booking.services.audit import Actor


def expire_overdue(*, now: datetime, actor: Actor) -> list[Booking]:
    """Mark every hold whose expiry has passed as expired; return them.

    Runs inside the caller's transaction (the booking verbs call it before they write, so a
    PostgreSQL exclusion constraint never sees a dead hold as a conflict). Availability
    already ignores such holds, so marking them changes no offered slot. Compare-and-set on
    status and expiry: a hold confirmed meanwhile is left alone.
    """
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
            expired.append(booking)
    return expired
