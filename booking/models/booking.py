"""A booking: one patient, one service, one therapist, one room, one time."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking import clock
from booking.extensions import db
from booking.models.types import EncryptedText, UTCDateTime

if TYPE_CHECKING:
    from booking.models.catalog import Service
    from booking.models.course import Course
    from booking.models.people import Patient, Therapist
    from booking.models.schedule import Room


class BookingStatus(enum.StrEnum):
    """Where a booking is in its life (DESIGN.md, "Booking states")."""

    HELD = "held"  # slot reserved until hold_expires_at, awaiting medical clearance
    CONFIRMED = "confirmed"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # a hold that ran out
    RELEASED = "released"  # a hold given up because the patient was not cleared
    # A time reserved for one waitlist offer until hold_expires_at (booking.models.waitlist).
    # Blocks exactly like a hold; the row is deleted when the offer ends.
    OFFERED = "offered"


# States whose time is taken. HELD and OFFERED only block until their expiry.
BLOCKING_STATUSES = frozenset(
    {BookingStatus.CONFIRMED, BookingStatus.ARRIVED, BookingStatus.HELD, BookingStatus.OFFERED}
)
EXPIRING_STATUSES = frozenset({BookingStatus.HELD, BookingStatus.OFFERED})


class BookingSource(enum.StrEnum):
    ONLINE = "online"
    RECEPTION = "reception"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as its value in a VARCHAR with a CHECK: portable, readable in SQL.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


# How many leading characters of ``public_id`` make the reference people read out.
REFERENCE_LENGTH = 8


def new_public_id() -> str:
    return uuid.uuid4().hex


class Booking(db.Model):
    """A reservation of a therapist and a room for a service.

    ``busy_until`` is ``ends_at`` plus the service's buffer: the therapist and the room are
    taken from ``starts_at`` until then. ``public_id`` is shown to people and used as the
    calendar UID; manage links carry separate random tokens (see ``ManageToken``).
    """

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="end_after_start"),
        CheckConstraint("busy_until >= ends_at", name="busy_until_after_end"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("price_pence >= 0", name="price_not_negative"),
        CheckConstraint("ics_sequence >= 0", name="ics_sequence_not_negative"),
        CheckConstraint("status <> 'held' OR hold_expires_at IS NOT NULL", name="held_has_expiry"),
        CheckConstraint(
            "status <> 'offered' OR hold_expires_at IS NOT NULL", name="offered_has_expiry"
        ),
        # Range scans for "what overlaps this window" per therapist, per room, clinic-wide.
        Index("ix_bookings_therapist_start", "therapist_id", "starts_at"),
        Index("ix_bookings_room_start", "room_id", "starts_at"),
        Index("ix_bookings_start", "starts_at"),
        Index("ix_bookings_status_hold_expiry", "status", "hold_expires_at"),
        # A course's sessions, each once.
        UniqueConstraint("course_id", "course_session", name="uq_bookings_course_session"),
        CheckConstraint(
            "(course_id IS NULL) = (course_session IS NULL)", name="course_session_with_course"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    therapist_id: Mapped[int] = mapped_column(ForeignKey("therapists.id"))
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"))

    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    busy_until: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    price_pence: Mapped[int] = mapped_column(Integer)

    status: Mapped[BookingStatus] = mapped_column(_enum(BookingStatus, "status"))
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    hold_extended: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[BookingSource] = mapped_column(
        _enum(BookingSource, "source"), default=BookingSource.ONLINE
    )

    # The policy in force when booked (cut-offs, fees), so later changes are not retroactive.
    policy_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ics_sequence: Mapped[int] = mapped_column(Integer, default=0)
    # One-time key of the form that created it: a resubmission returns this booking.
    form_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    # What the patient typed this time; the Patient row keeps the first, trusted version.
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    # What the patient tells the therapist often describes their health: encrypted at rest.
    patient_note: Mapped[str] = mapped_column(EncryptedText, default="")
    over_18: Mapped[bool] = mapped_column(Boolean, default=True)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set the first time the booking is confirmed; the retention purge keeps the answers
    # of bookings that ever were, and removes the rest after 90 days.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    # A session of a course (booking.models.course): which course, and which session (1-based).
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id"), nullable=True, index=True
    )
    course_session: Mapped[int | None] = mapped_column(Integer, nullable=True)

    patient: Mapped[Patient] = relationship()
    service: Mapped[Service] = relationship()
    course: Mapped[Course | None] = relationship(back_populates="bookings")
    therapist: Mapped[Therapist] = relationship()
    room: Mapped[Room] = relationship()

    @property
    def reference(self) -> str:
        """The short reference patients are given and reception searches by: ``3F9A1C07``."""
        return self.public_id[:REFERENCE_LENGTH].upper()

    def blocks_at(self, now: datetime) -> bool:
        """Say whether this booking holds its therapist and room at ``now``."""
        if self.status in EXPIRING_STATUSES:
            return self.hold_expires_at is not None and self.hold_expires_at > now
        return self.status in BLOCKING_STATUSES

    def __repr__(self) -> str:
        return f"<Booking {self.public_id} {self.status}>"


class ManageToken(db.Model):
    """One manage link of a booking: a random token, stored only as its hash.

    A booking may have several: the done page's, and one minted for each email when it is
    sent, so no working link ever sits in the database (not even in the outbox). Revoking
    sets ``revoked_at``; every link of a booking can be revoked at once.
    """

    __tablename__ = "manage_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    booking: Mapped[Booking] = relationship()
