"""The outbox: every email to send, written in the same transaction as the change it reports.

A row is the promise "this message will be delivered". It holds a snapshot of the booking's
facts at the moment of the change (never health data, never a working manage link) and the
Message-ID fixed at that moment; the worker (``booking.worker``) renders and sends it
later, with retries, and records every failure.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking import clock
from booking.extensions import db
from booking.models.types import UTCDateTime

if TYPE_CHECKING:
    from booking.models.booking import Booking


class MessageKind(enum.StrEnum):
    """What a message tells the patient (one email template pair per kind)."""

    BOOKED = "booked"
    HELD = "held"  # booked, but held until the patient confirms medical clearance
    HOLD_REMINDER = "hold_reminder"
    CLEARANCE_CONFIRMED = "clearance_confirmed"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    HOLD_RELEASED = "hold_released"  # the patient was not cleared
    HOLD_EXPIRED = "hold_expired"  # nobody confirmed clearance in time
    APPOINTMENT_REMINDER = "appointment_reminder"
    TEST = "test"  # ``flask booking mail-test``: checks the mail set-up, no booking
    STAFF_SIGN_IN_ALERT = "staff_sign_in_alert"  # a burst of refused sign-ins, to the staff
    FOLLOW_UP = "follow_up"  # a day or two after a completed session: how has it been?
    WAITLIST_JOINED = "waitlist_joined"  # on the waitlist: the entry's own link
    WAITLIST_OFFER = "waitlist_offer"  # a freed time reserved for the patient: claim or decline
    # To the patient's GP or physio (not the patient): please complete a clearance.
    CLINICIAN_REQUEST = "clinician_request"
    # A course booked: every session, each with its own invitation (booking.notify.compose).
    COURSE_BOOKED = "course_booked"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # never tried
    SENT = "sent"
    FAILED = "failed"  # tried, will be tried again at next_attempt_at
    DEAD = "dead"  # given up: too many attempts, or a message that cannot be built
    SKIPPED = "skipped"  # a reminder the booking's later change made pointless; not sent


def _enum(cls: type[enum.Enum], name: str, length: int) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class OutboxMessage(db.Model):
    """One email, queued with the change it reports and delivered by the worker.

    ``claimed_until`` is a worker's lease and ``claimed_by`` the claim holding it: a row is
    claimed by setting both, the holder renews the lease while it sends, and a worker that
    dies mid-batch only delays the row until the lease runs out. ``dedupe_key`` (unique)
    makes jobs idempotent: a reminder's key is derived from what it reminds about, so a
    rerun inserts nothing.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        # The worker's claim: due rows by status and time.
        Index("ix_outbox_messages_status_next_attempt", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), nullable=True, index=True
    )
    kind: Mapped[MessageKind] = mapped_column(_enum(MessageKind, "kind", 32))
    to_address: Mapped[str] = mapped_column(String(254))
    # "<uuid@clinic-domain>", fixed at queue time: a message sent twice is one in the inbox.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus, "status", 16), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Which claim holds the lease: only its holder may send the message.
    claimed_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True, nullable=True)

    booking: Mapped[Booking | None] = relationship()

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"
