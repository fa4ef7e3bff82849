"""A patient's privacy rights, for an admin: export everything we hold, or erase it.

Both verbs are audited (``patient.exported``, ``patient.erased``) and own their transaction.

Erasure keeps what the clinic must keep and the facts that do not identify anyone: the
bookings stay (times, service, therapist, status, price) so the calendar, reports and the
audit trail still add up, but nothing in them names, reaches or describes the patient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, or_, select, update

from booking.extensions import db
from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    Clearance,
    ClinicianLink,
    ClinicianLinkToken,
    FollowUp,
    FollowUpToken,
    Intake,
    ManageToken,
    OutboxMessage,
    OutboxStatus,
    Patient,
    StaffNote,
)
from booking.scheduling import moves
from booking.services import audit, transitions
from booking.services.audit import Actor
from booking.services.errors import BookingError
from booking.services.locking import run_in_write_transaction, write_transaction
from booking.services.waitlist import privacy as waitlist_privacy

ERASED = "erased"
ERASED_NAME = "Erased patient"
EXPORT_FORMAT = "backcare-patient-export/1"

# Audit detail keys whose values are facts about a booking, never about the person.
_SAFE_DETAIL_KEYS = frozenset(
    {
        "source",
        "starts_at",
        "old_start",
        "new_start",
        "until",
        "by",
        "outcome",
        "notified",
        "count",
        "status",
        "stage",
        "role",
        "staff_id",
        "patient_id",
    }
)
# Other string details survive only when they are reason codes ("not_cleared"), not prose.
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_UNSENT = (OutboxStatus.PENDING, OutboxStatus.FAILED)
_LIVE = (BookingStatus.HELD, BookingStatus.CONFIRMED)


def _patient(patient_id: int) -> Patient:
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        raise BookingError("not_found", "There is no such patient.")
    return patient


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _bookings_of(patient_id: int) -> list[Booking]:
    return list(
        db.session.scalars(
            select(Booking).where(Booking.patient_id == patient_id).order_by(Booking.starts_at)
        )
    )


def export_patient(patient_id: int, *, actor: Actor, now: datetime) -> dict[str, Any]:
    """Return everything held about the patient as JSON-ready data; audit it and commit.

    Contents: contact details; each booking with what was typed on it, its screen answers
    (decrypted), outcome and flags, clearances, the follow-ups after sessions and their
    answers, the waitlist entries (with their screen answers and offers), staff notes,
    audit events and the emails sent about it (kind, address,
    status, times: never their bodies). Raises BookingError("not_found").
    """
    patient = _patient(patient_id)
    bookings = _bookings_of(patient.id)
    ids = [b.id for b in bookings]
    intakes = {
        i.booking_id: i
        for i in db.session.scalars(select(Intake).where(Intake.booking_id.in_(ids)))
    }
    clearances = list(
        db.session.scalars(
            select(Clearance)
            .where(or_(Clearance.patient_id == patient.id, Clearance.booking_id.in_(ids)))
            .order_by(Clearance.attested_at)
        )
    )
    notes = list(
        db.session.scalars(
            select(StaffNote).where(StaffNote.booking_id.in_(ids)).order_by(StaffNote.created_at)
        )
    )
    events = list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.booking_id.in_(ids)).order_by(AuditEvent.id)
        )
    )
    messages = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.booking_id.in_(ids))
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        )
    )
    follow_ups = list(
        db.session.scalars(
            select(FollowUp).where(FollowUp.patient_id == patient.id).order_by(FollowUp.id)
        )
    )
    clinician_requests = list(
        db.session.scalars(
            select(ClinicianLink)
            .where(ClinicianLink.booking_id.in_(ids))
            .order_by(ClinicianLink.created_at, ClinicianLink.id)
        )
    )
    public_ids = {b.id: b.public_id for b in bookings}
    data = {
        "format": EXPORT_FORMAT,
        "exported_at": now.isoformat(),
        "patient": {
            "id": patient.id,
            "name": patient.name,
            "email": patient.email,
            "phone": patient.phone,
            "created_at": _iso(patient.created_at),
        },
        "bookings": [_booking_data(b, intakes.get(b.id)) for b in bookings],
        "clearances": [_clearance_data(c, public_ids) for c in clearances],
        "clinician_links": [
            {
                "booking": public_ids.get(link.booking_id),
                "clinician_name": link.clinician_name,
                "clinician_email": link.clinician_email,
                "sent_at": _iso(link.created_at),
                "used_at": _iso(link.used_at),
            }
            for link in clinician_requests
        ],
        "staff_notes": [
            {
                "booking": public_ids.get(n.booking_id),
                "written_at": _iso(n.created_at),
                "note": n.body,
            }
            for n in notes
        ],
        "follow_ups": [
            {
                "booking": public_ids.get(f.booking_id),
                "sent_at": _iso(f.created_at),
                "answered_at": _iso(f.answered_at),
                "answers": f.answers,
                "flagged_for_therapist": f.needs_review,
                "seen_by_therapist_at": _iso(f.reviewed_at),
            }
            for f in follow_ups
        ],
        "waitlist": waitlist_privacy.export_entries(patient.id),
        "audit_events": [
            {
                "booking": public_ids.get(e.booking_id),
                "occurred_at": _iso(e.occurred_at),
                "action": e.action,
                "actor": str(e.actor_kind),
                "details": e.details or {},
            }
            for e in events
        ],
        "messages": [
            {
                "booking": public_ids.get(m.booking_id),
                "kind": str(m.kind),
                "to": m.to_address,
                "status": str(m.status),
                "queued_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
            }
            for m in messages
        ],
    }
    with write_transaction():
        audit.record("patient.exported", actor=actor, now=now, patient_id=patient.id)
    return data


def _booking_data(booking: Booking, intake: Intake | None) -> dict[str, Any]:
    return {
        "reference": booking.public_id,
        "service": booking.service.name,
        "therapist": booking.therapist.name,
        "starts_at": _iso(booking.starts_at),
        "ends_at": _iso(booking.ends_at),
        "status": str(booking.status),
        "price_pence": booking.price_pence,
        "source": str(booking.source),
        "booked_at": _iso(booking.created_at),
        "cancelled_at": _iso(booking.cancelled_at),
        "contact": {
            "name": booking.contact_name,
            "email": booking.contact_email,
            "phone": booking.contact_phone,
        },
        "note": booking.patient_note,
        "over_18": booking.over_18,
        "screen": None
        if intake is None
        else {
            "answers": intake.answers,
            "outcome": intake.outcome,
            "flags": list(intake.flags or []),
            "no_deep_pressure": intake.no_deep_pressure,
            "consent_version": intake.consent_version,
            "consented_at": _iso(intake.consented_at),
            "answers_deleted_at": _iso(intake.purged_at),
        },
    }


def _clearance_data(clearance: Clearance, public_ids: dict[int, str]) -> dict[str, Any]:
    return {
        "booking": public_ids.get(clearance.booking_id),
        "source": str(clearance.source),
        "clinician_name": clearance.clinician_name,
        "clinician_kind": str(clearance.clinician_kind) if clearance.clinician_kind else None,
        "clinician_registration": clearance.clinician_registration or None,
        "consultation_date": _iso(clearance.consultation_date),
        "outcome": str(clearance.outcome),
        "restriction_ticks": list(clearance.restriction_ticks or []),
        "restrictions": clearance.restrictions,
        "wording_version": clearance.wording_version,
        "attested_at": _iso(clearance.attested_at),
        "approval": str(clearance.approval),
        "valid_until": _iso(clearance.valid_until),
    }


@dataclass(frozen=True)
class ErasureReport:
    bookings_anonymised: int
    bookings_cancelled: int
    intakes_deleted: int
    clearances_deleted: int
    notes_deleted: int
    messages_scrubbed: int
    audit_events_scrubbed: int
    waitlist_entries_erased: int = 0
    waitlist_offers_ended: int = 0


def erase_patient(patient_id: int, *, actor: Actor, now: datetime) -> ErasureReport:
    """Erase the patient's personal data in one transaction and audit it; commit.

    In order: the patient's waitlist entries end, any time kept for them by an open offer is
    given back, their links are revoked and their contact details and screen answers blanked
    (``waitlist.privacy``); future held and confirmed bookings are cancelled without an
    email (the address is about to go) and each cancellation is audited; every manage link
    is revoked; screen answers (the intake rows), follow-ups (with their links), clearances,
    the requests sent to clinicians (with their links) and staff notes are deleted; bookings
    keep their facts but their contact fields become "erased" and the note empty; emails not
    yet sent are skipped and every email's address, name and error are scrubbed; the audit
    trail stays, with free text in its details replaced by "erased"; the patient row stays
    (bookings point at it) as "Erased patient", ``erased-<id>@invalid``, no phone.
    Idempotent. Raises BookingError("not_found").
    """
    _patient(patient_id)

    def work() -> ErasureReport:
        patient = db.session.get(Patient, patient_id, populate_existing=True)
        # First: ending an open offer deletes its reservation, one of the patient's rows.
        waiting = waitlist_privacy.erase_entries(patient.id, now=now)
        ids = list(db.session.scalars(select(Booking.id).where(Booking.patient_id == patient.id)))
        cancelled = _cancel_future(ids, actor=actor, now=now)
        db.session.execute(
            update(ManageToken)
            .where(ManageToken.booking_id.in_(ids), ManageToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        intakes = _deleted(delete(Intake).where(Intake.booking_id.in_(ids)))
        clearances = _deleted(
            delete(Clearance).where(
                or_(Clearance.patient_id == patient.id, Clearance.booking_id.in_(ids))
            )
        )
        notes = _deleted(delete(StaffNote).where(StaffNote.booking_id.in_(ids)))
        # The follow-ups' answers are health data too; their links go with them.
        follow_ups = select(FollowUp.id).where(FollowUp.patient_id == patient.id)
        db.session.execute(delete(FollowUpToken).where(FollowUpToken.follow_up_id.in_(follow_ups)))
        db.session.execute(delete(FollowUp).where(FollowUp.patient_id == patient.id))
        # Who the patient asked for a clearance, and the links sent to them.
        requests = select(ClinicianLink.id).where(ClinicianLink.booking_id.in_(ids))
        db.session.execute(
            delete(ClinicianLinkToken).where(ClinicianLinkToken.link_id.in_(requests))
        )
        db.session.execute(delete(ClinicianLink).where(ClinicianLink.booking_id.in_(ids)))
        anonymised = db.session.execute(
            update(Booking)
            .where(Booking.id.in_(ids))
            .values(
                contact_name=ERASED,
                contact_email=ERASED,
                contact_phone=ERASED,
                patient_note="",
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        erased_address = f"erased-{patient.id}@invalid"
        addresses = {a for a in (patient.email, *waiting.addresses) if a}
        messages = _scrub_messages(ids, addresses, erased_address)
        events = _scrub_audit(ids)
        patient.name = ERASED_NAME
        patient.email = erased_address
        patient.phone = ""
        report = ErasureReport(
            bookings_anonymised=anonymised,
            bookings_cancelled=cancelled,
            intakes_deleted=intakes,
            clearances_deleted=clearances,
            notes_deleted=notes,
            messages_scrubbed=messages,
            audit_events_scrubbed=events,
            waitlist_entries_erased=waiting.entries,
            waitlist_offers_ended=waiting.offers_ended,
        )
        audit.record(
            "patient.erased",
            actor=actor,
            now=now,
            patient_id=patient.id,
            count=len(ids),
        )
        return report

    report = run_in_write_transaction(work)
    db.session.expire_all()
    return report


def _deleted(statement) -> int:
    return db.session.execute(statement.execution_options(synchronize_session=False)).rowcount


def _cancel_future(ids: list[int], *, actor: Actor, now: datetime) -> int:
    """Cancel the patient's bookings still to come, telling nobody; return how many."""
    future = db.session.scalars(
        select(Booking)
        .where(Booking.id.in_(ids), Booking.status.in_(_LIVE), Booking.starts_at > now)
        .execution_options(populate_existing=True)
    )
    return sum(
        transitions.apply(
            booking,
            moves.CANCEL,
            actor=actor,
            now=now,
            notify=False,
            strict=False,
            notified=False,
            reason="patient_erased",
        )
        for booking in list(future)
    )


def _scrub_messages(ids: list[int], addresses: set[str], erased_address: str) -> int:
    messages = list(
        db.session.scalars(
            select(OutboxMessage).where(
                or_(OutboxMessage.booking_id.in_(ids), OutboxMessage.to_address.in_(addresses))
            )
        )
    )
    for message in messages:
        if message.status in _UNSENT:
            message.status = OutboxStatus.SKIPPED
        message.to_address = erased_address
        snapshot = dict(message.snapshot or {})
        for name in ("patient_name", "to_name"):
            if name in snapshot:
                snapshot[name] = ERASED_NAME
        message.snapshot = snapshot
        if message.last_error:
            message.last_error = ERASED
    return len(messages)


def _scrub_audit(ids: list[int]) -> int:
    changed = 0
    for event in db.session.scalars(select(AuditEvent).where(AuditEvent.booking_id.in_(ids))):
        details = event.details or {}
        scrubbed = {key: _scrub_value(key, value) for key, value in details.items()}
        if scrubbed != details:
            event.details = scrubbed
            changed += 1
    return changed


def _scrub_value(key: str, value: Any) -> Any:
    if key in _SAFE_DETAIL_KEYS or value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and _CODE.match(value):
        return value
    return ERASED
