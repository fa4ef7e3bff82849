"""The waitlist: a patient's wish for a time, and the freed times offered to it.

An offer reserves its time with a ``Booking`` row in the ``offered`` state (its expiry in
``hold_expires_at``), so the same exclusion constraints and the same "expired never
blocks" rule that guard held bookings guard offers: there is one source of truth for
"busy". When the offer ends (claimed, declined, expired, withdrawn) that row is deleted;
the ``WaitlistOffer`` keeps the time for the record and the figures.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Date, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking import clock
from booking.extensions import db
from booking.models.types import EncryptedJSON, UTCDateTime

if TYPE_CHECKING:
    from booking.models.booking import Booking
    from booking.models.catalog import Service
    from booking.models.people import Patient, Therapist


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class OfferState(enum.StrEnum):
    OPEN = "open"  # the time is reserved for this entry until expires_at
    CLAIMED = "claimed"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # reception skipped it, or the entry ended


class WaitlistEntry(db.Model):
    """One wish: a service and length, a therapist or any, a date range, times that suit.

    ``joined_at`` is the queue order. ``weekdays`` are 0 (Monday) to 6; ``day_parts`` are
    names from ``booking.waitlist.DAY_PARTS``; empty lists mean any.
    """

    __tablename__ = "waitlist_entries"
    __table_args__ = (Index("ix_waitlist_entries_open", "ended_at", "joined_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, default=lambda: uuid.uuid4().hex
    )
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    minutes: Mapped[int] = mapped_column(Integer)
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("therapists.id"), nullable=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)
    day_parts: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A patient with a booking who would take an earlier time: claiming moves this one.
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), nullable=True
    )

    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    over_18: Mapped[bool] = mapped_column(Boolean, default=True)
    # The pain screen answered at joining; encrypted at rest, never filtered on.
    screen_answers: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON, nullable=True)
    screened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Whether that screen would hold the booking: such entries are offered only times that
    # leave the working day needed to get cleared. Not health detail by itself.
    needs_clearance: Mapped[bool] = mapped_column(Boolean, default=False)

    # The API's idempotency key (hashed into its own namespace): a retry finds this entry.
    form_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str] = mapped_column(String(200), default="")

    patient: Mapped[Patient] = relationship()
    service: Mapped[Service] = relationship()
    therapist: Mapped[Therapist | None] = relationship()


class WaitlistToken(db.Model):
    """One link of an entry: a random token stored only as its hash (like manage links)."""

    __tablename__ = "waitlist_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("waitlist_entries.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    entry: Mapped[WaitlistEntry] = relationship()


class WaitlistOffer(db.Model):
    """One freed time offered to one entry until ``expires_at``.

    ``reservation_id`` points at the ``offered`` booking row that blocks the time while the
    offer is open; it is NULL once the offer has ended.
    """

    __tablename__ = "waitlist_offers"
    __table_args__ = (
        Index("ix_waitlist_offers_entry_state", "entry_id", "state"),
        Index("ix_waitlist_offers_state_expiry", "state", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, default=lambda: uuid.uuid4().hex
    )
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entries.id", ondelete="CASCADE"))
    reservation_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    therapist_id: Mapped[int] = mapped_column(ForeignKey("therapists.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    minutes: Mapped[int] = mapped_column(Integer)
    state: Mapped[OfferState] = mapped_column(_enum(OfferState, "state"), default=OfferState.OPEN)
    source: Mapped[str] = mapped_column(String(16), default="worker")  # worker | reception
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The booking the claim made (or moved).
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), nullable=True
    )

    entry: Mapped[WaitlistEntry] = relationship()
    service: Mapped[Service] = relationship()
    therapist: Mapped[Therapist] = relationship()
    reservation: Mapped[Booking | None] = relationship(foreign_keys=[reservation_id])


class FreedTime(db.Model):
    """A booked time that came free before it began: the denominator of the refill share.

    Written by the verb that frees it (cancelling, a hold expiring or released, a
    reschedule away) in the same transaction, so the figure counts what really happened.
    Holds no patient detail: the time, who would have given it, and why it came free.
    """

    __tablename__ = "freed_times"

    id: Mapped[int] = mapped_column(primary_key=True)
    freed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    therapist_id: Mapped[int] = mapped_column(ForeignKey("therapists.id"))
    cause: Mapped[str] = mapped_column(String(16))  # cancelled | expired | released | moved
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), nullable=True
    )
