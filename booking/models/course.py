"""A course of treatment: several sessions of one service, booked together at a cadence."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking import clock
from booking.extensions import db
from booking.models.booking import BookingSource, _enum, new_public_id
from booking.models.types import UTCDateTime

if TYPE_CHECKING:
    from booking.models.booking import Booking
    from booking.models.catalog import Service
    from booking.models.people import Patient

MAX_EVERY_WEEKS = 4


class Course(db.Model):
    """``sessions`` bookings of one service and length, one every ``every_weeks`` weeks.

    Each session is an ordinary booking (``Booking.course_id`` and ``course_session``,
    1-based): it is moved, cancelled, held and confirmed as any other. The course row only
    groups them, records what was asked for and makes the booking form idempotent.
    """

    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint("sessions > 0", name="sessions_positive"),
        CheckConstraint(f"every_weeks BETWEEN 1 AND {MAX_EVERY_WEEKS}", name="every_weeks_range"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    sessions: Mapped[int] = mapped_column(Integer)
    every_weeks: Mapped[int] = mapped_column(Integer)
    source: Mapped[BookingSource] = mapped_column(
        _enum(BookingSource, "source"), default=BookingSource.ONLINE
    )
    # One-time key of the form that booked it: a resubmission returns this course.
    form_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    patient: Mapped[Patient] = relationship()
    service: Mapped[Service] = relationship()
    bookings: Mapped[list[Booking]] = relationship(
        back_populates="course", order_by="Booking.course_session"
    )

    @property
    def reference(self) -> str:
        return self.public_id[:8].upper()

    def __repr__(self) -> str:
        return f"<Course {self.public_id} {self.sessions}x every {self.every_weeks}w>"
