"""Writing the audit trail (inside the caller's transaction; never commits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from booking import deferred
from booking.extensions import db
from booking.models import ActorKind, AuditEvent, Booking


@dataclass(frozen=True)
class Actor:
    """Who is acting: a patient through a link or the form, a staff member, or the system."""

    kind: ActorKind
    staff_user_id: int | None = None

    @classmethod
    def patient(cls) -> Actor:
        return cls(ActorKind.PATIENT)

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM)

    @classmethod
    def clinician(cls) -> Actor:
        return cls(ActorKind.CLINICIAN)

    @classmethod
    def staff(cls, staff_user_id: int) -> Actor:
        return cls(ActorKind.STAFF, staff_user_id)


def record(
    action: str,
    *,
    actor: Actor,
    now: datetime,
    booking: Booking | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the session. ``details`` must hold no health data."""
    event = AuditEvent(**_values(action, actor, now, booking, details))
    db.session.add(event)
    return event


def record_with_commit(
    action: str,
    *,
    actor: Actor,
    now: datetime,
    booking: Booking | None = None,
    **details: Any,
) -> None:
    """Like :func:`record`, for a verb that never reads the event back: it is written with
    the transaction's commit, in one statement with the other rows queued so
    (``booking.deferred``)."""
    deferred.insert_row(AuditEvent.__table__, _values(action, actor, now, booking, details))


def _values(action, actor: Actor, now, booking, details) -> dict[str, Any]:
    return {
        "occurred_at": now,
        "actor_kind": actor.kind,
        "staff_user_id": actor.staff_user_id,
        "booking_id": booking.id if booking is not None else None,
        "action": action,
        "details": details,
    }
