"""Export and erasure as verbs: what they return, what they change, and what they keep."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    ClinicianLink,
    ClinicianLinkToken,
    Intake,
    ManageToken,
    OutboxMessage,
    OutboxStatus,
    Patient,
    StaffNote,
)
from booking.services import audit, clinician_links, privacy
from booking.services.audit import Actor
from booking.services.errors import BookingError
from tests.support.notify import book, make_clinic

NOW = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # Monday
PAST = datetime(2027, 3, 3, 10, 0, tzinfo=UTC)
FUTURE = datetime(2027, 3, 12, 10, 0, tzinfo=UTC)
NAME, EMAIL = "Pat Canary", "pat.canary@example.org"
NOTE = "Pat Canary prefers the ground floor"


@pytest.fixture
def patient(app):
    """A patient with a past confirmed booking, a future held one, a note and emails."""
    clinic = make_clinic()
    past = book(clinic, PAST, now=PAST - timedelta(days=2), name=NAME, email=EMAIL)
    future = book(clinic, FUTURE, now=NOW, hold=True, name=NAME, email=EMAIL, note=NOTE)
    db.session.add(StaffNote(booking_id=future.id, body=NOTE, created_at=NOW))
    # Something free-text in the audit trail, and a reason code beside it.
    audit.record(
        "booking.noted", actor=Actor.system(), now=NOW, booking=future, note=NOTE, why="asked"
    )
    db.session.commit()
    return {"id": past.patient_id, "past": past.id, "future": future.id}


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_an_unknown_patient_is_not_found_for_both_verbs(app):
    for verb in (privacy.export_patient, privacy.erase_patient):
        with pytest.raises(BookingError) as refused:
            verb(404, actor=Actor.system(), now=NOW)
        assert refused.value.reason == "not_found"


def test_the_export_is_json_with_everything_held_and_is_audited(patient):
    data = privacy.export_patient(patient["id"], actor=Actor.system(), now=NOW)
    assert json.loads(json.dumps(data)) == data  # JSON-ready as it stands
    assert data["format"] == privacy.EXPORT_FORMAT
    assert data["patient"]["name"] == NAME and data["patient"]["email"] == EMAIL
    references = {b.public_id for b in db.session.scalars(select(Booking))}
    assert {b["reference"] for b in data["bookings"]} == references
    assert [n["note"] for n in data["staff_notes"]] == [NOTE]
    assert data["messages"] and all(m["to"] == EMAIL for m in data["messages"])
    assert all("body" not in m for m in data["messages"])
    assert count(AuditEvent, AuditEvent.action == "patient.exported") == 1


def test_erasure_reports_what_it_did_and_leaves_nothing_that_names_the_patient(patient):
    report = privacy.erase_patient(patient["id"], actor=Actor.system(), now=NOW)
    assert report.bookings_anonymised == 2
    assert report.bookings_cancelled == 1  # the future one; the past one is history
    assert report.intakes_deleted == 2
    assert report.notes_deleted == 1
    assert report.messages_scrubbed >= 2

    past, future = (
        db.session.get(Booking, patient["past"]),
        db.session.get(Booking, patient["future"]),
    )
    assert past.status is BookingStatus.CONFIRMED
    assert future.status is BookingStatus.CANCELLED
    for booking in (past, future):
        assert (booking.contact_name, booking.contact_email, booking.patient_note) == (
            privacy.ERASED,
            privacy.ERASED,
            "",
        )
    person = db.session.get(Patient, patient["id"])
    assert (person.name, person.email, person.phone) == (
        privacy.ERASED_NAME,
        f"erased-{patient['id']}@invalid",
        "",
    )
    assert count(Intake) == 0 and count(StaffNote) == 0
    assert count(ManageToken, ManageToken.revoked_at.is_(None)) == 0
    assert count(OutboxMessage, OutboxMessage.status == OutboxStatus.PENDING) == 0
    assert count(OutboxMessage, OutboxMessage.to_address == EMAIL) == 0
    noted = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booking.noted"))
    assert noted.details == {"note": privacy.ERASED, "why": "asked"}  # prose goes, codes stay
    [cancelled] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "booking.cancelled")
    )
    assert cancelled.details["notified"] is False  # the address is gone: no email about it


def test_erasure_sends_no_cancellation_email(patient):
    before = count(OutboxMessage)
    privacy.erase_patient(patient["id"], actor=Actor.system(), now=NOW)
    assert count(OutboxMessage) == before


def test_erasing_twice_changes_nothing_more(patient):
    privacy.erase_patient(patient["id"], actor=Actor.system(), now=NOW)
    again = privacy.erase_patient(patient["id"], actor=Actor.system(), now=NOW)
    assert (again.bookings_cancelled, again.intakes_deleted, again.notes_deleted) == (0, 0, 0)
    assert count(AuditEvent, AuditEvent.action == "patient.erased") == 2


def test_the_requests_to_clinicians_are_exported_and_erased(patient):
    link = clinician_links.send(
        patient["future"],
        name="Dr Canary",
        email="dr.canary@surgery.example",
        actor=Actor.patient(),
        now=NOW,
    )
    clinician_links.mint(link.id, now=NOW)
    db.session.commit()
    data = privacy.export_patient(patient["id"], actor=Actor.system(), now=NOW)
    assert [(r["clinician_name"], r["clinician_email"]) for r in data["clinician_links"]] == [
        ("Dr Canary", "dr.canary@surgery.example")
    ]
    privacy.erase_patient(patient["id"], actor=Actor.system(), now=NOW)
    assert count(ClinicianLink) == 0 and count(ClinicianLinkToken) == 0
    for message in db.session.scalars(select(OutboxMessage)):
        assert "canary" not in message.to_address.lower()
        assert "Canary" not in json.dumps(message.snapshot)
