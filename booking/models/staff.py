"""Staff accounts: reception, therapists and the clinic's admin."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from booking import clock
from booking.extensions import db
from booking.models.types import EncryptedText, UTCDateTime


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
    # The second factor (booking.services.staff_totp): the TOTP secret, encrypted at rest,
    # and the time step of the last accepted code (codes work once). A secret without a
    # step is a set-up not yet confirmed by a first code.
    # Deferred: decrypted only when a code is checked, not each time a session loads the row.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText, nullable=True, deferred=True)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    @property
    def totp_enrolled(self) -> bool:
        """Whether a second factor is set up (a first code has been accepted).

        A step is only ever stored beside a secret, and a reset clears both.
        """
        return self.totp_last_step is not None

    def __repr__(self) -> str:
        return f"<StaffUser {self.id} {self.role}>"
