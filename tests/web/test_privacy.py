"""An admin's privacy duties: a patient's data export and erasure, both audited."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from booking import clock
from booking.extensions import db
from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    Clearance,
    ClearanceOutcome,
    ClinicianKind,
    Intake,
    OutboxMessage,
    OutboxStatus,
    Patient,
    StaffNote,
    StaffRole,
)
from booking.services import bookings, clearance, manage_links
from booking.services.audit import Actor
from tests.support.auth import signed_in_client
from tests.support.builders import make_room, make_service, make_therapist
from tests.support.screens import fine, severe

BOOKED_PAST = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # Monday
PAST_START = datetime(2027, 3, 3, 10, 0, tzinfo=UTC)
NOW = datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # Monday
FUTURE_START = datetime(2027, 3, 12, 10, 0, tzinfo=UTC)
ERASE_AT = NOW + timedelta(hours=3)
NAME, EMAIL, PHONE = "Pat Canary", "pat.canary@example.org", "+447700900123"
NOTE = "Second floor please, Pat Canary uses a stick"
CLINICIAN = "Dr Canary-Clinician"


def request(service_id, therapist_id, start, screen):
    return bookings.BookingRequest(
        service_id=service_id,
        minutes=60,
        start=start,
        therapist_id=therapist_id,
        name=NAME,
        email=EMAIL,
        phone=PHONE,
        note=NOTE,
        screen=screen,
    )


@pytest.fixture
def patient(app):
    """A patient with a past booking and a future held one (answers, clearance, notes...)."""
    service = make_service(durations=((60, 5000),))
    therapist = make_therapist(services=[service])
    make_room()
    db.session.commit()
    past = bookings.book(
        request(service.id, therapist.id, PAST_START, fine()),
        actor=Actor.patient(),
        now=BOOKED_PAST,
    )
    future = bookings.book(
        request(service.id, therapist.id, FUTURE_START, severe()), actor=Actor.patient(), now=NOW
    )
    clearance.attest(
        future.booking.id,
        clearance.ClearanceStatement(
            outcome=ClearanceOutcome.CLEARED_WITH_RESTRICTIONS,
            clinician_name=CLINICIAN,
            clinician_kind=ClinicianKind.GP,
            consultation_date=date(2027, 3, 8),
            restriction_ticks=("avoid_area",),
            restrictions="Left shoulder",
            truthful=True,
        ),
        actor=Actor.patient(),
        now=NOW + timedelta(minutes=5),
    )
    clearance.extend_hold(
        future.booking.id,
        reason=f"{NAME} sees her GP on Tuesday",
        actor=Actor.system(),
        now=NOW + timedelta(minutes=10),
    )
    db.session.add(StaffNote(booking_id=future.booking.id, body=NOTE, created_at=NOW))
    db.session.commit()
    return {
        "id": past.booking.patient_id,
        "past": past.booking.id,
        "future": future.booking.id,
        "tokens": [past.manage_token, future.manage_token],
    }


def staff_client(app, role):
    # Signed in at the moment the requests are made, so the session has not timed out.
    with clock.frozen(ERASE_AT):
        return signed_in_client(app, role)


@pytest.fixture
def admin(app):
    return staff_client(app, StaffRole.ADMIN)


def export(client, patient_id):
    with clock.frozen(ERASE_AT):
        return client.get(f"/reception/admin/patients/{patient_id}/export.json")


def erase(client, patient_id, **data):
    with clock.frozen(ERASE_AT):
        return client.post(f"/reception/admin/patients/{patient_id}/erase", data=data)


# ---- export ---------------------------------------------------------------------------------


def test_export_is_a_json_download_that_is_never_cached(admin, patient):
    response = export(admin, patient["id"])
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="patient-{patient["id"]}-export.json"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_export_holds_everything_about_the_patient(admin, patient):
    data = json.loads(export(admin, patient["id"]).text)
    assert data["patient"] == {
        "id": patient["id"],
        "name": NAME,
        "email": EMAIL,
        "phone": PHONE,
        "created_at": BOOKED_PAST.isoformat(),
    }
    past, future = data["bookings"]
    assert past["starts_at"] == PAST_START.isoformat()
    assert past["contact"] == {"name": NAME, "email": EMAIL, "phone": PHONE}
    assert past["note"] == NOTE
    assert past["screen"]["answers"] == fine().to_data()  # decrypted
    assert future["status"] == "held"
    assert future["screen"]["answers"] == severe().to_data()
    [given] = data["clearances"]
    assert given["clinician_name"] == CLINICIAN
    assert given["restrictions"] == "Left shoulder"
    assert given["restriction_ticks"] == ["avoid_area"]
    assert given["booking"] == future["reference"]
    assert [n["note"] for n in data["staff_notes"]] == [NOTE]
    actions = [e["action"] for e in data["audit_events"]]
    assert {"booking.created", "booking.held", "booking.hold_extended"} <= set(actions)
    assert data["messages"], "the emails sent about the bookings are listed"
    for message in data["messages"]:
        assert set(message) == {"booking", "kind", "to", "status", "queued_at", "sent_at"}
        assert message["to"] == EMAIL


def test_export_is_audited_with_the_admin_as_actor(admin, patient):
    export(admin, patient["id"])
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "patient.exported")
    ).one()
    assert event.actor_kind == "staff"
    assert event.staff_user_id is not None
    assert event.details == {"patient_id": patient["id"]}


def test_export_of_an_unknown_patient_is_404(admin, patient):
    assert export(admin, 999999).status_code == 404


@pytest.mark.parametrize("role", [StaffRole.RECEPTION])
def test_only_admins_may_export_or_erase(app, patient, role):
    client = staff_client(app, role)
    assert export(client, patient["id"]).status_code == 403
    assert erase(client, patient["id"], confirm="y").status_code == 403
    assert db.session.get(Patient, patient["id"]).name == NAME
    anonymous = app.test_client()
    response = export(anonymous, patient["id"])
    assert response.status_code == 302
    assert response.location.startswith("/staff/login")


# ---- erasure --------------------------------------------------------------------------------


def test_erase_page_says_what_will_happen(admin, patient):
    with clock.frozen(ERASE_AT):
        page = admin.get(f"/reception/admin/patients/{patient['id']}/erase")
    assert page.status_code == 200
    assert NAME in page.text
    assert "1 future booking(s) will be cancelled" in page.text
    assert "cannot be undone" in page.text


def test_erasure_needs_the_confirmation_tick(admin, patient):
    response = erase(admin, patient["id"])
    assert response.status_code == 200
    assert "Please tick the box to confirm." in response.text
    assert db.session.get(Patient, patient["id"]).name == NAME


def test_erasure_removes_contact_details_and_health_data(admin, patient):
    response = erase(admin, patient["id"], confirm="y")
    assert response.status_code == 303
    db.session.expire_all()
    person = db.session.get(Patient, patient["id"])
    assert (person.name, person.email, person.phone) == (
        "Erased patient",
        f"erased-{patient['id']}@invalid",
        "",
    )
    for booking_id in (patient["past"], patient["future"]):
        booking = db.session.get(Booking, booking_id)
        assert booking.contact_name == booking.contact_email == booking.contact_phone == "erased"
        assert booking.patient_note == ""
    assert db.session.scalars(select(Intake)).all() == []
    assert db.session.scalars(select(Clearance)).all() == []
    assert db.session.scalars(select(StaffNote)).all() == []


def test_erasure_cancels_future_bookings_quietly_and_revokes_links(admin, patient):
    queued_before = db.session.scalar(text("SELECT count(*) FROM outbox_messages"))
    erase(admin, patient["id"], confirm="y")
    db.session.expire_all()
    assert db.session.get(Booking, patient["future"]).status is BookingStatus.CANCELLED
    assert db.session.get(Booking, patient["past"]).status is BookingStatus.CONFIRMED
    cancelled = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "booking.cancelled", AuditEvent.booking_id == patient["future"]
        )
    ).one()
    assert cancelled.details == {"notified": False, "reason": "patient_erased"}
    assert db.session.scalar(text("SELECT count(*) FROM outbox_messages")) == queued_before
    for token in patient["tokens"]:
        assert manage_links.find_booking(token) is None


def test_erasure_stops_unsent_emails_and_scrubs_sent_ones(admin, patient):
    erase(admin, patient["id"], confirm="y")
    db.session.expire_all()
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert messages
    for message in messages:
        assert message.status not in (OutboxStatus.PENDING, OutboxStatus.FAILED)
        assert message.to_address == f"erased-{patient['id']}@invalid"
        assert NAME not in json.dumps(message.snapshot)


def test_erasure_keeps_the_audit_trail_without_personal_data(admin, patient):
    before = db.session.scalar(
        text("SELECT count(*) FROM audit_events WHERE booking_id IS NOT NULL")
    )
    erase(admin, patient["id"], confirm="y")
    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.booking_id.is_not(None))).all()
    assert len(events) == before + 1  # the quiet cancellation was added
    extended = next(e for e in events if e.action == "booking.hold_extended")
    assert extended.details["reason"] == "erased"
    assert extended.details["until"]  # facts about the booking stay
    erased = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "patient.erased")
    ).one()
    assert erased.actor_kind == "staff"
    assert erased.details == {"patient_id": patient["id"], "count": 2}


def test_no_trace_of_the_patient_is_left_anywhere_in_the_database(admin, patient):
    erase(admin, patient["id"], confirm="y")
    db.session.expire_all()
    traces = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            dumped = json.dumps([str(v) for v in row])
            for personal in (NAME, "Canary", EMAIL, PHONE, "stick"):
                if personal in dumped:
                    traces.append((table.name, personal))
    assert traces == []


def test_erasure_is_idempotent_and_erased_addresses_stay_unique(admin, patient):
    assert erase(admin, patient["id"], confirm="y").status_code == 303
    assert erase(admin, patient["id"], confirm="y").status_code == 303
    other = Patient(name="Other Person", email="other@example.org", phone="", created_at=NOW)
    db.session.add(other)
    db.session.commit()
    assert erase(admin, other.id, confirm="y").status_code == 303
    db.session.expire_all()
    assert db.session.get(Patient, other.id).email == f"erased-{other.id}@invalid"


def test_erasure_of_an_unknown_patient_is_404(admin, patient):
    assert erase(admin, 999999, confirm="y").status_code == 404
