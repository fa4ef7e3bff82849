"""The right to erasure: the patient's personal data removed, the clinic's facts kept."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
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
from booking.services.locking import run_in_write_transaction
from booking.services.privacy.records import load_patient
from booking.services.waitlist import privacy as waitlist_privacy

ERASED = "erased"
ERASED_NAME = "Erased patient"

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
    load_patient(patient_id)

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
