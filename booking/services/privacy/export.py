"""The right of access: everything held about one patient, as JSON-ready data."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select

from booking.extensions import db
from booking.models import (
    AuditEvent,
    Booking,
    Clearance,
    ClinicianLink,
    Course,
    FollowUp,
    Intake,
    OutboxMessage,
    StaffNote,
)
from booking.services import audit
from booking.services.audit import Actor
from booking.services.locking import write_transaction
from booking.services.privacy.records import load_patient
from booking.services.waitlist import privacy as waitlist_privacy

EXPORT_FORMAT = "backcare-patient-export/1"


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
    patient = load_patient(patient_id)
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
        "courses": [
            {
                "reference": course.public_id,
                "service": course.service.name,
                "minutes": course.duration_minutes,
                "sessions": course.sessions,
                "every_weeks": course.every_weeks,
                "booked_at": _iso(course.created_at),
                "bookings": [b.public_id for b in course.bookings],
            }
            for course in db.session.scalars(
                select(Course).where(Course.patient_id == patient.id).order_by(Course.id)
            )
        ],
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
        "course_session": booking.course_session,
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
