"""Waitlist emails: the joining confirmation and the offer of a freed time.

Neither is about a booking (nothing is booked yet), so neither carries a calendar
invitation. Like booking emails, the row holds a snapshot of what may be said (never the
screen, never whether it would hold a booking) and no working link: the entry's link is
minted when the message is sent (``booking.worker.delivery.deliver_one``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from booking.extensions import db
from booking.ics import clean_line
from booking.models import MessageKind, OutboxMessage, OutboxStatus, WaitlistEntry, WaitlistOffer
from booking.notify.outbox import add_once, new_message_id
from booking.notify.settings import public_url

WAITLIST_KINDS = frozenset({MessageKind.WAITLIST_JOINED, MessageKind.WAITLIST_OFFER})
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _entry_facts(entry: WaitlistEntry, now: datetime) -> dict[str, Any]:
    return {
        "entry_id": entry.id,
        "service_name": entry.service.name,
        "duration_minutes": entry.minutes,
        "therapist_name": entry.therapist.name if entry.therapist else "",
        "first_day": entry.first_day.isoformat(),
        "last_day": entry.last_day.isoformat(),
        "weekdays": list(entry.weekdays or ()),
        "day_parts": list(entry.day_parts or ()),
        "patient_name": clean_line(entry.contact_name or entry.patient.name),
        "moves_booking": entry.booking_id is not None,
        "dtstamp": now.isoformat(),
    }


def _queue(kind: MessageKind, entry: WaitlistEntry, snapshot: dict, key: str, now: datetime):
    address = entry.contact_email or entry.patient.email
    if not address:
        return None
    message = OutboxMessage(
        booking_id=None,
        kind=kind,
        to_address=address,
        message_id=new_message_id(),
        snapshot=snapshot,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        dedupe_key=key,
    )
    return add_once(message)


def queue_joined(entry: WaitlistEntry, *, now: datetime) -> OutboxMessage | None:
    """Queue the confirmation of joining, in the caller's transaction (never commits)."""
    db.session.flush()
    return _queue(
        MessageKind.WAITLIST_JOINED,
        entry,
        _entry_facts(entry, now),
        f"waitlist_joined:{entry.id}",
        now,
    )


def queue_offer(offer: WaitlistOffer, *, now: datetime) -> OutboxMessage | None:
    """Queue the offer email for ``offer``, in the caller's transaction (never commits)."""
    db.session.flush()
    entry = offer.entry
    snapshot = _entry_facts(entry, now) | {
        "offer_ref": offer.public_id,
        "service_name": offer.service.name,
        "therapist_name": offer.therapist.name,
        "starts_at": offer.starts_at.isoformat(),
        "ends_at": offer.ends_at.isoformat(),
        "duration_minutes": offer.minutes,
        "expires_at": offer.expires_at.isoformat(),
    }
    return _queue(MessageKind.WAITLIST_OFFER, entry, snapshot, f"waitlist_offer:{offer.id}", now)


def waitlist_url(token: str, snapshot: dict[str, Any]) -> str:
    """The link a waitlist email carries: the offer's page, or the entry's."""
    if snapshot.get("offer_ref"):
        return public_url(f"/waitlist/{token}/offers/{snapshot['offer_ref']}")
    return public_url(f"/waitlist/{token}")


def is_stale(kind: MessageKind, snapshot: dict[str, Any]) -> bool:
    """Say whether the message would no longer be true: the entry ended, the offer closed.

    An offer email sent after the offer ended would promise a time that is not reserved.
    """
    entry = db.session.get(WaitlistEntry, snapshot.get("entry_id"))
    if entry is None or entry.ended_at is not None:
        return True
    if kind is MessageKind.WAITLIST_OFFER:
        offer = db.session.scalar(
            select(WaitlistOffer).where(WaitlistOffer.public_id == snapshot.get("offer_ref"))
        )
        return offer is None or str(offer.state) != "open"
    return False


def describe_wish(snapshot: dict[str, Any]) -> dict[str, str]:
    """Plain words for the wish: the dates, the days and the times of day that suit."""
    first = date.fromisoformat(snapshot["first_day"])
    last = date.fromisoformat(snapshot["last_day"])
    days = (
        f"{first:%A} {first.day} {first:%B %Y}"
        if first == last
        else f"{first:%A} {first.day} {first:%B} to {last:%A} {last.day} {last:%B %Y}"
    )
    weekdays = snapshot.get("weekdays") or []
    parts = snapshot.get("day_parts") or []
    return {
        "days": days,
        "weekdays": ", ".join(WEEKDAY_NAMES[d] for d in sorted(weekdays)) or "any day",
        "day_parts": ", ".join(parts) or "any time of day",
        "therapist": clean_line(snapshot.get("therapist_name") or "") or "any therapist",
    }


def context(snapshot: dict[str, Any], when) -> dict[str, Any]:
    """The template values of a waitlist email (``when`` formats an instant as compose does)."""
    values: dict[str, Any] = {
        "service": clean_line(snapshot["service_name"]),
        "duration_minutes": snapshot.get("duration_minutes"),
        "wish": describe_wish(snapshot),
        "moves_booking": bool(snapshot.get("moves_booking")),
        "finished": False,
    }
    if snapshot.get("offer_ref"):
        values.update(
            when=when(datetime.fromisoformat(snapshot["starts_at"])),
            therapist=clean_line(snapshot.get("therapist_name", "")),
            deadline=when(datetime.fromisoformat(snapshot["expires_at"])),
        )
    return values
