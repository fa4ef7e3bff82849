"""When people and rooms are available: weekly hours, rooms, time off, closures."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.extensions import db
from booking.models.types import UTCDateTime

if TYPE_CHECKING:
    from booking.models.people import Therapist

MINUTES_PER_DAY = 24 * 60


class WorkingHours(db.Model):
    """One range of a therapist's week in the clinic's wall-clock time.

    Several ranges on one weekday make breaks (09:00-13:00 and 14:00-18:00 is a lunch
    hour). Minutes count from local midnight of ``weekday`` (Monday = 0); ``end_minute``
    may pass 1440 for a range that crosses midnight into the next day.
    """

    __tablename__ = "working_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_valid"),
        CheckConstraint(
            f"start_minute >= 0 AND start_minute < {MINUTES_PER_DAY}", name="start_in_day"
        ),
        CheckConstraint("end_minute > start_minute", name="end_after_start"),
        CheckConstraint(f"end_minute - start_minute <= {MINUTES_PER_DAY}", name="at_most_a_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(
        ForeignKey("therapists.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)

    therapist: Mapped[Therapist] = relationship(back_populates="working_hours")

    def __repr__(self) -> str:
        return f"<WorkingHours {self.weekday} {self.start_minute}-{self.end_minute}>"


class Room(db.Model):
    """A treatment room; every booking needs a free therapist and a free room."""

    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<Room {self.slug}>"


class TimeOff(db.Model):
    """A period one therapist is away (leave, training, a dentist appointment)."""

    __tablename__ = "time_off"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="end_after_start"),
        Index("ix_time_off_therapist_range", "therapist_id", "starts_at", "ends_at"),
        # Availability asks "what ends after the window starts": a scan of the future only.
        Index("ix_time_off_ends_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("therapists.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")

    therapist: Mapped[Therapist] = relationship(back_populates="time_off")


class Closure(db.Model):
    """A period the whole clinic is shut (bank holidays, refurbishment)."""

    __tablename__ = "closures"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="end_after_start"),
        Index("ix_closures_range", "starts_at", "ends_at"),
        Index("ix_closures_ends_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")
