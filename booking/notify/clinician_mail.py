"""The email to a patient's GP or physio asking them to complete a clearance.

It goes to the clinician, not the patient, so it says the least that lets them act: that a
patient of that name asks them to complete a clearance for a massage treatment at the
clinic, until when, and the link. No treatment, no time, no screen, no pain: the page
behind the link shows the treatment planned once the clinician opens it. The row holds no
working link; the token is minted when the message is sent (``worker.deliver_one``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from booking.extensions import db
from booking.ics import clean_line
from booking.models import (
    ApprovalState,
    Booking,
    BookingStatus,
    Clearance,
    ClinicianLink,
    MessageKind,
    OutboxMessage,
    OutboxStatus,
)
from booking.notify.outbox import add_once, new_message_id
from booking.notify.settings import public_url

if TYPE_CHECKING:
    from collections.abc import Callable

KIND = MessageKind.CLINICIAN_REQUEST


def queue_request(link: ClinicianLink, booking: Booking, *, now: datetime) -> OutboxMessage | None:
    """Queue the request's email in the caller's transaction (never commits)."""
    key = f"clinician_request:{link.id}"
    message = OutboxMessage(
        booking_id=booking.id,
        kind=KIND,
        to_address=link.clinician_email,
        message_id=new_message_id(),
        snapshot={
            "link_id": link.id,
            "to_name": clean_line(link.clinician_name),
            "patient_name": clean_line(booking.contact_name or booking.patient.name),
            "hold_expires_at": booking.hold_expires_at.isoformat(),
            "dtstamp": now.isoformat(),
        },
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        dedupe_key=key,
    )
    return add_once(message)


def clinician_url(token: str) -> str:
    return public_url(f"/clinician/{token}")


def is_stale(snapshot: dict[str, Any], now: datetime) -> bool:
    """Say whether the link would no longer open: used, or the hold over or cleared."""
    link = db.session.get(ClinicianLink, snapshot.get("link_id"))
    if link is None or link.used_at is not None:
        return True
    booking = link.booking
    if booking.status is not BookingStatus.HELD or not booking.blocks_at(now):
        return True
    return (
        db.session.scalar(
            select(Clearance.id).where(
                Clearance.booking_id == booking.id, Clearance.approval == ApprovalState.PENDING
            )
        )
        is not None
    )


def context(snapshot: dict[str, Any], when: Callable[[datetime], dict[str, str]]) -> dict:
    """The template values of the request (``when`` formats an instant as compose does)."""
    return {
        "clinician_name": snapshot.get("to_name", ""),
        "until": when(datetime.fromisoformat(snapshot["hold_expires_at"])),
    }
