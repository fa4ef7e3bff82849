"""Sending follow-ups: the job that makes them due, and the link minted at send time.

Idempotent like the reminders: a follow-up row is unique per booking and is inserted in the
same transaction as its outbox message (whose dedupe key is unique too), so a rerun, or a
second worker, sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking, BookingStatus, FollowUp, FollowUpToken, MessageKind
from booking.notify import outbox
from booking.services.clinic_settings import current_policy
from booking.services.locking import write_transaction
from booking.tokens import new_token, token_hash

# The bounds of the delay whatever the configuration says: never sooner than a day after
# the session, never later than two.
EARLIEST_HOURS = 24
LATEST_HOURS = 48


def delay() -> timedelta:
    """How long after a session ends its follow-up is sent (the admin's setting, bounded)."""
    hours = current_policy().follow_up_delay_hours
    return timedelta(hours=min(max(hours, EARLIEST_HOURS), LATEST_HOURS))


def dedupe_key(booking_id: int) -> str:
    return f"follow_up:{booking_id}"


def _due(now: datetime) -> list[Booking]:
    latest = timedelta(days=current_policy().follow_up_latest_days)
    has_follow_up = select(FollowUp.id).where(FollowUp.booking_id == Booking.id)
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.status == BookingStatus.COMPLETED,
                Booking.ends_at <= now - delay(),
                Booking.ends_at > now - latest,
                ~has_follow_up.exists(),
            )
            .order_by(Booking.ends_at, Booking.id)
        )
    )


def queue_due(now: datetime) -> int:
    """Create the follow-up of every session completed long enough ago; commit; return
    how many emails were queued.

    Only completed sessions (never cancelled, no-show or still-arrived ones). A patient
    without an email address gets the row (so the job does not look again) and no message.
    """
    link_days = timedelta(days=current_policy().follow_up_link_days)
    queued = 0
    with write_transaction():
        for booking in _due(now):
            follow_up = FollowUp(
                booking_id=booking.id,
                patient_id=booking.patient_id,
                created_at=now,
                expires_at=now + link_days,
                needs_review=False,
            )
            db.session.add(follow_up)
            message = outbox.queue(
                MessageKind.FOLLOW_UP, booking, now=now, dedupe_key=dedupe_key(booking.id)
            )
            if message is not None:
                message.snapshot = {
                    **message.snapshot,
                    "follow_up_expires_at": follow_up.expires_at.isoformat(),
                }
                queued += 1
    return queued


def mint(booking_id: int, *, now: datetime) -> str | None:
    """Add a new link to the booking's follow-up (in the caller's transaction); return its
    token, shown once, or None when the booking has no follow-up."""
    follow_up_id = db.session.scalar(select(FollowUp.id).where(FollowUp.booking_id == booking_id))
    if follow_up_id is None:
        return None
    token = new_token()
    db.session.add(
        FollowUpToken(follow_up_id=follow_up_id, token_hash=token_hash(token), created_at=now)
    )
    return token
