"""The hold queue: every held booking, soonest expiry first, without health details."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from booking import clock
from booking.extensions import db
from booking.models import (
    ApprovalState,
    BookingStatus,
    Clearance,
    ClearanceOutcome,
    ClearanceSource,
    Intake,
    MessageKind,
    OutboxMessage,
    OutboxStatus,
    StaffRole,
)
from tests.support.builders import (
    make_booking,
    make_patient,
    make_room,
    make_service,
    make_therapist,
)
from tests.web.test_reception_calendar import sign_in

NOW = datetime(2027, 3, 10, 10, 0, tzinfo=UTC)


@pytest.fixture
def clinic(app):
    with clock.frozen(NOW):
        service = make_service(name="Back massage")
        amy = make_therapist(name="Amy Able", services=[service])
        ben = make_therapist(name="Ben Bright", services=[service])
        room = make_room(name="Room Alpha")
        db.session.commit()
        yield {"service": service, "amy": amy, "ben": ben, "room": room}


def hold(clinic, name, *, expires_in, days_ahead=3, therapist="amy", **fields):
    booking = make_booking(
        starts_at=NOW + timedelta(days=days_ahead),
        status=BookingStatus.HELD,
        hold_expires_at=NOW + expires_in,
        service=clinic["service"],
        therapist=clinic[therapist],
        room=clinic["room"],
        patient=make_patient(name=name, email=f"{name.split()[0].lower()}@example.org"),
        **fields,
    )
    db.session.commit()
    return booking


def message(booking, kind, *, status=OutboxStatus.SENT, at):
    db.session.add(
        OutboxMessage(
            booking_id=booking.id,
            kind=kind,
            to_address=booking.patient.email,
            message_id=f"<{booking.public_id}-{kind.value}@clinic.test>",
            status=status,
            created_at=at,
            sent_at=at if status is OutboxStatus.SENT else None,
        )
    )
    db.session.commit()


def test_holds_are_listed_soonest_expiry_first_with_time_left(app, clinic):
    hold(clinic, "Later Lou", expires_in=timedelta(hours=30), days_ahead=4)
    hold(clinic, "Sooner Sue", expires_in=timedelta(hours=5, minutes=15), days_ahead=2)
    hold(clinic, "Lapsed Len", expires_in=-timedelta(minutes=20), days_ahead=5)
    make_booking(
        starts_at=NOW + timedelta(days=6),
        service=clinic["service"],
        therapist=clinic["amy"],
        room=clinic["room"],
        patient=make_patient(name="Confirmed Cal"),
    )
    db.session.commit()
    page = sign_in(app).get("/reception/holds")
    assert page.status_code == 200
    text = page.text
    order = [text.index(n) for n in ("Lapsed Len", "Sooner Sue", "Later Lou")]
    assert order == sorted(order)
    assert "Confirmed Cal" not in text
    assert "Expired, not yet released" in text
    assert "5 h 15 min left" in text
    assert "1 d 6 h left" in text


def test_hold_shows_contact_appointment_and_extension(app, clinic):
    hold(clinic, "Phone Phil", expires_in=timedelta(hours=8), hold_extended=True)
    text = re.sub(r"\s+", " ", sign_in(app).get("/reception/holds").text)
    assert "phone@example.org" in text
    assert "07700 900123" in text  # national form: the clinic is in the UK
    assert "Back massage" in text and "Amy Able" in text
    assert "Saturday 13 March, 10:00" in text
    assert "Already extended once" in text


def test_reminder_history_is_listed(app, clinic):
    booking = hold(clinic, "Remind Rae", expires_in=timedelta(hours=20))
    message(booking, MessageKind.HELD, at=NOW - timedelta(hours=28))
    message(
        booking, MessageKind.HOLD_REMINDER, status=OutboxStatus.FAILED, at=NOW - timedelta(hours=2)
    )
    message(booking, MessageKind.BOOKED, at=NOW - timedelta(hours=1))
    text = re.sub(r"\s+", " ", sign_in(app).get("/reception/holds").text)
    assert "Hold notice: sent, sent Tue 9 Mar 06:00" in text
    assert "Hold reminder: failed, queued Wed 10 Mar 08:00" in text
    assert text.count("Hold notice") == 1


def test_pending_clearance_is_announced_without_its_contents(app, clinic):
    booking = hold(clinic, "Cleared Cleo", expires_in=timedelta(hours=12))
    db.session.add(
        Intake(
            booking_id=booking.id,
            answers={"pain_score": 9},
            outcome="hold",
            rule_codes=["q3.pain_score_at_least_threshold"],
            flags=["osteoporosis"],
            consent_version="2026-11",
            consented_at=NOW,
        )
    )
    db.session.add(
        Clearance(
            booking_id=booking.id,
            patient_id=booking.patient_id,
            source=ClearanceSource.PATIENT,
            clinician_name="Dr Zed Secretname",
            outcome=ClearanceOutcome.CLEARED_WITH_RESTRICTIONS,
            restrictions="Avoid the lumbar spine entirely",
            wording_version="2026-11",
            attested_at=NOW,
            approval=ApprovalState.PENDING,
        )
    )
    db.session.commit()
    text = sign_in(app).get("/reception/holds").text
    assert "Clearance received, awaiting therapist approval" in text
    for secret in ("lumbar", "Secretname", "pain_score", "q3.", "osteoporosis", "cleared_with"):
        assert secret not in text, secret


def test_actions_link_to_the_booking_page_when_it_exists(app, clinic):
    booking = hold(clinic, "Act Ana", expires_in=timedelta(hours=12))
    text = sign_in(app).get("/reception/holds").text
    if "reception.booking" in app.view_functions:
        assert f"/reception/bookings/{booking.public_id}" in text


def test_therapist_sees_only_their_own_holds(app, clinic):
    hold(clinic, "Amys Hold", expires_in=timedelta(hours=12))
    hold(clinic, "Bens Hold", expires_in=timedelta(hours=12), therapist="ben", days_ahead=4)
    with clock.frozen(NOW):
        client = sign_in(app, StaffRole.THERAPIST, therapist_id=clinic["ben"].id)
        text = client.get("/reception/holds").text
    assert "Bens Hold" in text and "Amys Hold" not in text


def test_empty_queue_says_so(app, clinic):
    assert "No bookings are held." in sign_in(app).get("/reception/holds").text


def test_markup_in_names_is_shown_as_text(app, clinic):
    hold(clinic, "<script>alert(1)</script>", expires_in=timedelta(hours=12))
    text = sign_in(app).get("/reception/holds").text
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_a_clinician_link_sent_for_a_hold_is_shown_with_whether_it_was_used(app, clinic):
    from booking.models import ClinicianLink

    booking = hold(clinic, "Gina Gp", expires_in=timedelta(hours=12))
    db.session.add(
        ClinicianLink(
            booking_id=booking.id,
            clinician_name="Dr Ruth Alvarez",
            clinician_email="gp@example.org",
            created_at=NOW - timedelta(hours=2),
        )
    )
    db.session.commit()
    text = sign_in(app).get("/reception/holds").text
    assert "Link sent to Dr Ruth Alvarez" in text
    assert "not used yet" in text
    assert "gp@example.org" not in text  # the clinician's address stays with the link
