"""The follow-up after a completed session: when it is sent, the patient's answers, and
whether the therapist needs to look.

One row per completed booking (the unique ``booking_id`` is what makes the job send it
once). The answers and the reasons for review are health data, encrypted at rest; the plain
columns say only when things happened and whether a therapist should look, which the day
view and the patient page filter on (like ``Intake.no_deep_pressure``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking import clock
from booking.extensions import db
from booking.models.types import EncryptedJSON, UTCDateTime

if TYPE_CHECKING:
    from booking.models.booking import Booking


class FollowUp(db.Model):
    """The follow-up of one completed session."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_review", "needs_review", "reviewed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), unique=True
    )
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # The link opens the form until then; after it, the same "not found" as any wrong link.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # ``FollowUpAnswers.to_data()``; the screen as it stands after them (``as_screen``),
    # which pre-fills the next screen; the red-flag codes and material changes.
    answers: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON, nullable=True)
    screen_after: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON, nullable=True)
    review_reasons: Mapped[list[str] | None] = mapped_column(EncryptedJSON, nullable=True)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reviewed_by_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True
    )

    booking: Mapped[Booking] = relationship()


class FollowUpToken(db.Model):
    """One link to a follow-up's form, minted when its email is sent; stored as a hash."""

    __tablename__ = "follow_up_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(
        ForeignKey("follow_ups.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    follow_up: Mapped[FollowUp] = relationship()
