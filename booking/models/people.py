"""The people a booking is between: therapists and patients."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking import clock
from booking.extensions import db
from booking.models.catalog import therapist_services
from booking.models.types import UTCDateTime

if TYPE_CHECKING:
    from booking.models.catalog import Service
    from booking.models.schedule import TimeOff, WorkingHours


class Therapist(db.Model):
    """A massage therapist: who they are, what they offer, when they work."""

    __tablename__ = "therapists"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(120), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A stable order: listings, and the tie-break when "any therapist" is chosen.
    position: Mapped[int] = mapped_column(Integer, default=0)

    services: Mapped[list[Service]] = relationship(
        secondary=therapist_services, back_populates="therapists", order_by="Service.position"
    )
    working_hours: Mapped[list[WorkingHours]] = relationship(
        back_populates="therapist",
        cascade="all, delete-orphan",
        order_by="(WorkingHours.weekday, WorkingHours.start_minute)",
    )
    time_off: Mapped[list[TimeOff]] = relationship(
        back_populates="therapist", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Therapist {self.slug}>"


class Patient(db.Model):
    """Someone who books; deduplicated by normalised email address.

    ``email`` is None for a caller reception booked by phone who has no address (or would
    not give one): such a patient gets no emails at all.
    """

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # Normalised (lower-cased domain and local part, trimmed) so one person is one row.
    email: Mapped[str | None] = mapped_column(String(254), unique=True, nullable=True)
    phone: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    def __repr__(self) -> str:
        return f"<Patient {self.id}>"
