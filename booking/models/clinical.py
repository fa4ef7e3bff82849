"""Health data: the pain screen's answers for a booking, and medical clearances.

Only the treating therapist and admins may read these (DOMAIN.md section 5); they never
leave the application (no email, calendar, feed, log or public API response).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking import clock
from booking.extensions import db
from booking.models.booking import Booking
from booking.models.types import EncryptedJSON, EncryptedText, UTCDateTime


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


class Intake(db.Model):
    """The screen as answered for one booking, with the outcome and the rules that fired.

    ``answers`` is None once the retention purge has removed it; the outcome stays.
    """

    __tablename__ = "intakes"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), unique=True
    )
    # Encrypted at rest (booking.crypto): never filter on it.
    answers: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON, nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))
    # The rules that fired and the therapist's flags say as much as the answers: encrypted too.
    rule_codes: Mapped[list[str]] = mapped_column(EncryptedJSON, default=list)
    flags: Mapped[list[str]] = mapped_column(EncryptedJSON, default=list)
    no_deep_pressure: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_version: Mapped[str] = mapped_column(String(16))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A returning patient's valid clearance covered this screen (no new hold needed).
    covered_by_clearance_id: Mapped[int | None] = mapped_column(
        ForeignKey("clearances.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    booking: Mapped[Booking] = relationship()


class ClinicianKind(enum.StrEnum):
    GP = "gp"
    CONSULTANT = "consultant"
    PHYSIOTHERAPIST = "physiotherapist"
    OTHER = "other"


class ClearanceOutcome(enum.StrEnum):
    CLEARED = "cleared"
    CLEARED_WITH_RESTRICTIONS = "cleared_with_restrictions"
    NOT_CLEARED = "not_cleared"


class ClearanceSource(enum.StrEnum):
    PATIENT = "patient"  # attested on the manage page
    PHONE = "phone"  # recorded by staff
    LETTER = "letter"
    EMAIL = "email"
    CLINICIAN = "clinician"  # the clinician themselves, through the link the patient sent


class ApprovalState(enum.StrEnum):
    NOT_NEEDED = "not_needed"
    PENDING = "pending"  # cleared with restrictions: a therapist must approve
    APPROVED = "approved"
    REFUSED = "refused"


class Clearance(db.Model):
    """A statement that a clinician has (or has not) cleared the patient for massage."""

    __tablename__ = "clearances"
    __table_args__ = (Index("ix_clearances_patient_valid", "patient_id", "valid_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    source: Mapped[ClearanceSource] = mapped_column(_enum(ClearanceSource, "source"))
    # The clinician and the restrictions are health data: encrypted at rest, never filtered on.
    clinician_name: Mapped[str] = mapped_column(EncryptedText, default="")
    clinician_kind: Mapped[ClinicianKind | None] = mapped_column(
        _enum(ClinicianKind, "clinician_kind"), nullable=True
    )
    consultation_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The professional registration number a clinician gave on their own link (GMC, HCPC...).
    clinician_registration: Mapped[str] = mapped_column(EncryptedText, default="")
    outcome: Mapped[ClearanceOutcome] = mapped_column(_enum(ClearanceOutcome, "outcome"))
    restriction_ticks: Mapped[list[str]] = mapped_column(EncryptedJSON, default=list)
    restrictions: Mapped[str] = mapped_column(EncryptedText, default="")
    wording_version: Mapped[str] = mapped_column(String(16))
    attested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attested_by_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True
    )
    # Why staff recorded it ("GP letter: no deep pressure after the operation"): health data.
    staff_reason: Mapped[str] = mapped_column(EncryptedText, default="")
    approval: Mapped[ApprovalState] = mapped_column(
        _enum(ApprovalState, "approval"), default=ApprovalState.NOT_NEEDED
    )
    approved_by_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The screen answers this clearance was given for, for the "anything changed?" check.
    screen_answers: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON, nullable=True)

    booking: Mapped[Booking] = relationship()


class ScreenOutcomeCount(db.Model):
    """How many screens ended in each outcome per day: the only trace of EMERGENCY/URGENT."""

    __tablename__ = "screen_outcome_counts"
    __table_args__ = (
        db.UniqueConstraint("day", "outcome", name="uq_screen_outcome_counts_day_outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(Integer, default=0)
