"""A patient's waitlist entries for the privacy verbs: exported, or erased.

An entry holds contact details and the pain screen's answers, so erasure ends it, gives any
time kept for it back (its open offer ends and the reservation goes), revokes its links and
blanks what identifies or describes the patient. The entry and its offers stay as facts
(which service, which days, offered when, claimed or not) so the refill figures still add up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from booking.extensions import db
from booking.models import AuditEvent, OfferState, WaitlistEntry, WaitlistOffer, WaitlistToken
from booking.services import reservations

ERASED = "erased"


@dataclass(frozen=True)
class Erased:
    entries: int
    offers_ended: int
    addresses: frozenset[str]  # the emails the entries were reached at (to scrub the outbox)


def export_entries(patient_id: int) -> list[dict[str, Any]]:
    """Every entry of the patient as JSON-ready data: the wish, contact, answers, offers."""
    found = list(
        db.session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.patient_id == patient_id)
            .order_by(WaitlistEntry.joined_at, WaitlistEntry.id)
        )
    )
    offers: dict[int, list[WaitlistOffer]] = {}
    if found:
        for offer in db.session.scalars(
            select(WaitlistOffer)
            .where(WaitlistOffer.entry_id.in_([e.id for e in found]))
            .order_by(WaitlistOffer.offered_at, WaitlistOffer.id)
        ):
            offers.setdefault(offer.entry_id, []).append(offer)
    return [
        {
            "reference": e.public_id,
            "service": e.service.name,
            "minutes": e.minutes,
            "therapist": e.therapist.name if e.therapist else None,
            "first_day": e.first_day.isoformat(),
            "last_day": e.last_day.isoformat(),
            "weekdays": list(e.weekdays or ()),
            "day_parts": list(e.day_parts or ()),
            "contact": {"name": e.contact_name, "email": e.contact_email, "phone": e.contact_phone},
            "screen_answers": e.screen_answers,
            "screened_at": _iso(e.screened_at),
            "joined_at": _iso(e.joined_at),
            "ended_at": _iso(e.ended_at),
            "end_reason": e.end_reason or None,
            "offers": [
                {
                    "starts_at": _iso(o.starts_at),
                    "offered_at": _iso(o.offered_at),
                    "state": str(o.state),
                }
                for o in offers.get(e.id, ())
            ],
        }
        for e in found
    ]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def erase_entries(patient_id: int, *, now: datetime) -> Erased:
    """Erase every waitlist entry of the patient, in the caller's transaction."""
    found = list(
        db.session.scalars(select(WaitlistEntry).where(WaitlistEntry.patient_id == patient_id))
    )
    if not found:
        return Erased(0, 0, frozenset())
    ids = [e.id for e in found]
    addresses = frozenset(e.contact_email for e in found if e.contact_email not in ("", ERASED))
    open_offers = list(
        db.session.scalars(
            select(WaitlistOffer).where(
                WaitlistOffer.entry_id.in_(ids), WaitlistOffer.state == OfferState.OPEN
            )
        )
    )
    for offer in open_offers:
        reservations.end_offer(offer, OfferState.WITHDRAWN, now=now)
    db.session.execute(
        update(WaitlistToken)
        .where(WaitlistToken.entry_id.in_(ids), WaitlistToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    for entry in found:
        if entry.ended_at is None:
            entry.ended_at = now
            entry.end_reason = ERASED
        entry.contact_name = entry.contact_email = entry.contact_phone = ERASED
        entry.screen_answers = None
        entry.screened_at = None
        entry.form_key = None
        entry.updated_at = now
    _scrub_reasons({e.public_id for e in found})
    return Erased(len(found), len(open_offers), addresses)


def _scrub_reasons(public_ids: set[str]) -> None:
    """Reception's reason for removing an entry is free text: it may name the patient."""
    for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "waitlist.removed")
    ):
        details = event.details or {}
        if details.get("entry") in public_ids and details.get("reason") != ERASED:
            event.details = {**details, "reason": ERASED}
