"""Staff accounts: reception, therapists and the clinic's admin."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from booking import clock
from booking.extensions import db
from booking.models.types import UTCDateTime


class StaffRole(enum.StrEnum):
    ADMIN = "admin"
    RECEPTION = "reception"
    THERAPIST = "therapist"


class StaffUser(db.Model):
    """Someone who signs in to reception. A therapist account links to its Therapist."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[StaffRole] = mapped_column(
        Enum(
            StaffRole,
            name="role",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda members: [m.value for m in members],
        )
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    therapist_id: Mapped[int | None] = mapped_column(
        ForeignKey("therapists.id", ondelete="SET NULL"), nullable=True
    )
    # Bumped on logout, password change and deactivation: older sessions stop working.
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    def __repr__(self) -> str:
        return f"<StaffUser {self.id} {self.role}>"
