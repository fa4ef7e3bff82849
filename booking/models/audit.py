"""The audit trail: who did what to which booking, and when."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from booking import clock
from booking.extensions import db
from booking.models.types import EncryptedJSON, UTCDateTime


class ActorKind(enum.StrEnum):
    STAFF = "staff"
    PATIENT = "patient"  # acting through a manage link or the public form
    SYSTEM = "system"  # the worker, a CLI job
    CLINICIAN = "clinician"  # a patient's GP or physio, through the link the patient sent


class AuditEvent(db.Model):
    """One recorded action. ``action`` is a dotted code such as ``booking.cancelled``.

    ``details`` holds small facts (old and new times, the reason given). A staff reason can
    carry health words, so the details are encrypted at rest: never filter on them.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_occurred_at", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    actor_kind: Mapped[ActorKind] = mapped_column(
        Enum(
            ActorKind,
            name="actor_kind",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda members: [m.value for m in members],
        )
    )
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True
    )
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id", ondelete="SET NULL"), nullable=True, index=True
    )
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
