"""Internal staff notes on a booking: written by staff, read by staff, never emailed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from booking import clock
from booking.extensions import db
from booking.models.types import EncryptedText, UTCDateTime


class StaffNote(db.Model):
    """One note a staff member left on a booking ("called, running 10 minutes late").

    Notes are appended, never edited, so the history of what was said stays readable.
    """

    __tablename__ = "staff_notes"
    __table_args__ = (Index("ix_staff_notes_booking_created", "booking_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True
    )
    # Staff write about the patient's health here too: encrypted at rest, never filtered on.
    body: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    def __repr__(self) -> str:
        return f"<StaffNote {self.id} booking={self.booking_id}>"
