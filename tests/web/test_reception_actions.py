"""Reception's actions through the test client: each one audited, mail only when asked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from booking import clock
from booking.auth import sessions
from booking.extensions import db
from booking.models import (
    AuditEvent,
    Booking,
    BookingSource,
    BookingStatus,
    Clearance,
    ClearanceOutcome,
    ClearanceSource,
    Closure,
    Intake,
    MessageKind,
    OutboxMessage,
    StaffNote,
    StaffRole,
    TimeOff,
)
from booking.services import clearance as clearance_service
from booking.services import staff as staff_service
from booking.services.audit import Actor
from tests.support.builders import (
    make_booking,
    make_patient,
    make_room,
    make_service,
    make_therapist,
)
from tests.support.database import empty_database
from tests.support.screens import fine, form_data, severe

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # Wednesday; London is on GMT
TOMORROW_10 = datetime(2027, 3, 11, 10, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def clinic(app):
    service = make_service(durations=((60, 5000),), name="Back massage")
    therapist = make_therapist(services=[service], name="Tess Therapist")
    other = make_therapist(services=[service], name="Otto Other")
    room = make_room()
    db.session.commit()
    return {"service": service, "therapist": therapist, "other": other, "room": room}


def staff(role=StaffRole.RECEPTION, therapist_id=None, email=None):
    return staff_service.create_staff(
        email=email or f"{role.value}@clinic.example",
        name=f"{role.value.title()} Person",
        role=role,
        password=PASSWORD,
        therapist_id=therapist_id,
        actor=Actor.system(),
        now=NOW,
    )


def signed_in(app, role=StaffRole.RECEPTION, therapist_id=None, email=None):
    member = staff(role, therapist_id, email)
    client = app.test_client()
    if role is StaffRole.ADMIN:
        # An admin owes a second factor: mark it set up and plant a session past every
        # login step (TOTP itself is tested elsewhere).
        if hasattr(member, "totp_secret"):
            member.totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
            member.totp_last_step = 1
            db.session.commit()
        epoch = int(clock.now().timestamp())
        with client.session_transaction() as session:
            session["_user_id"] = str(member.id)
            session["_fresh"] = True
            session[sessions.VERSION_KEY] = member.session_version
            session[sessions.SIGNED_IN_AT_KEY] = epoch
            session[sessions.LAST_SEEN_KEY] = epoch
        return client, member
    response = client.post("/staff/login", data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 303
    return client, member


@pytest.fixture
def desk(app, clinic):
    return signed_in(app)


def booking_for(clinic, **fields):
    fields.setdefault("starts_at", TOMORROW_10)
    booking = make_booking(
        service=clinic["service"],
        therapist=clinic["therapist"],
        room=clinic["room"],
        created_at=NOW - timedelta(days=1),
        **fields,
    )
    db.session.commit()
    return booking


def held_for(clinic, **fields):
    return booking_for(
        clinic,
        status=BookingStatus.HELD,
        hold_expires_at=fields.pop("hold_expires_at", NOW + timedelta(hours=20)),
        starts_at=fields.pop("starts_at", NOW + timedelta(days=3)),
        **fields,
    )


def url(booking, suffix=""):
    return f"/reception/bookings/{booking.public_id}{suffix}"


def audit_actions(booking=None):
    query = select(AuditEvent).order_by(AuditEvent.id)
    if booking is not None:
        query = query.where(AuditEvent.booking_id == booking.id)
    return [e.action for e in db.session.scalars(query)]


def last_event(action):
    return db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    )


def outbox_kinds(booking):
    return [
        m.kind
        for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.booking_id == booking.id)
        )
    ]


def count(model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


# ---- the booking's page --------------------------------------------------------------------


def test_booking_page_shows_the_booking_and_escapes_names(app, clinic, desk):
    client, _ = desk
    patient = make_patient(name="<script>alert(1)</script>")
    booking = booking_for(clinic, patient=patient, contact_name="<b>Bold</b> Caller")
    db.session.add(
        Intake(
            booking_id=booking.id,
            answers={"pain_score": 9, "history": ["blood_clot"]},
            outcome="hold",
            flags=["blood_thinners"],
            consent_version="x",
            consented_at=NOW,
        )
    )
    db.session.commit()
    page = client.get(url(booking))
    assert page.status_code == 200
    assert "&lt;b&gt;Bold&lt;/b&gt; Caller" in page.text
    assert "<b>Bold</b>" not in page.text
    assert "Back massage" in page.text
    assert "Tess Therapist" in page.text
    assert "confirmed" in page.text
    for secret in ("blood_clot", "blood_thinners", "pain_score"):
        assert secret not in page.text


def test_unknown_booking_is_404(desk):
    client, _ = desk
    assert client.get("/reception/bookings/nope").status_code == 404
    assert client.post("/reception/bookings/nope/notes", data={"body": "x"}).status_code == 404


# ---- notes -----------------------------------------------------------------------------------


def test_staff_note_is_stored_audited_and_shown_escaped(clinic, desk):
    client, member = desk
    booking = booking_for(clinic)
    response = client.post(url(booking, "/notes"), data={"body": "<img src=x onerror=alert(1)>"})
    assert response.status_code == 303
    note = db.session.scalar(select(StaffNote))
    assert note.staff_user_id == member.id
    event = last_event("booking.note_added")
    assert event.staff_user_id == member.id
    assert "img" not in repr(event.details)
    page = client.get(url(booking))
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert "<img src=x" not in page.text
    assert outbox_kinds(booking) == []


def test_empty_note_is_refused_next_to_the_field(clinic, desk):
    client, _ = desk
    booking = booking_for(clinic)
    response = client.post(url(booking, "/notes"), data={"body": "   "})
    assert response.status_code == 400
    assert "Please write the note." in response.text
    assert count(StaffNote) == 0


def csrf_token_on(page) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert found, "no CSRF token on the page"
    return found.group(1)


def test_csrf_is_enforced_on_actions(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    # Requests run outside this test's app context: Flask-WTF caches the token on ``g``.
    with app.app_context():
        booking = make_booking(
            starts_at=TOMORROW_10,
            service=make_service(),
            therapist=make_therapist(),
            room=make_room(),
        )
        db.session.commit()
        staff()
        path = url(booking, "/notes")
        page_path = url(booking)
    try:
        client = app.test_client()
        login = client.get("/staff/login")
        signed = client.post(
            "/staff/login",
            data={
                "email": "reception@clinic.example",
                "password": PASSWORD,
                "csrf_token": csrf_token_on(login),
            },
        )
        assert signed.status_code == 303
        assert client.post(path, data={"body": "hello"}).status_code == 400
        with app.app_context():
            assert count(StaffNote) == 0
        token = csrf_token_on(client.get(page_path))
        accepted = client.post(path, data={"body": "hello", "csrf_token": token})
        assert accepted.status_code == 303
        with app.app_context():
            assert count(StaffNote) == 1
    finally:
        with app.app_context():
            empty_database()


# ---- arrived, completed, no-show --------------------------------------------------------------


def test_arrived_then_completed_are_audited_without_mail(clinic, desk):
    client, member = desk
    booking = booking_for(clinic, starts_at=NOW + timedelta(minutes=30))
    assert client.post(url(booking, "/status"), data={"value": "arrived"}).status_code == 303
    assert client.post(url(booking, "/status"), data={"value": "completed"}).status_code == 303
    db.session.refresh(booking)
    assert booking.status is BookingStatus.COMPLETED
    assert audit_actions(booking) == ["booking.arrived", "booking.completed"]
    assert last_event("booking.completed").staff_user_id == member.id
    assert outbox_kinds(booking) == []


def test_no_show_before_the_start_is_refused(clinic, desk):
    client, _ = desk
    booking = booking_for(clinic, starts_at=NOW + timedelta(minutes=20))
    refused = client.post(url(booking, "/status"), data={"value": "no_show"})
    assert refused.status_code == 409
    assert "once the appointment has started" in refused.text
    db.session.refresh(booking)
    assert booking.status is BookingStatus.CONFIRMED
    with clock.frozen(NOW + timedelta(minutes=25)):  # inside the idle timeout
        assert client.post(url(booking, "/status"), data={"value": "no_show"}).status_code == 303
    db.session.refresh(booking)
    assert booking.status is BookingStatus.NO_SHOW
    assert audit_actions(booking) == ["booking.no_show"]
    assert outbox_kinds(booking) == []


def test_unknown_status_value_is_refused(clinic, desk):
    client, _ = desk
    booking = booking_for(clinic)
    assert client.post(url(booking, "/status"), data={"value": "cancelled"}).status_code == 400


# ---- cancel ----------------------------------------------------------------------------------


def test_cancel_needs_the_confirm_tick(clinic, desk):
    client, _ = desk
    booking = booking_for(clinic)
    response = client.post(url(booking, "/cancel"), data={"notify": "y"})
    assert response.status_code == 400
    assert "Tick to confirm" in response.text
    db.session.refresh(booking)
    assert booking.status is BookingStatus.CONFIRMED


@pytest.mark.parametrize("notify", [True, False])
def test_cancel_notifies_only_when_ticked(clinic, desk, notify):
    client, member = desk
    # Inside the patient's cut-off: reception may still cancel.
    booking = booking_for(clinic, starts_at=NOW + timedelta(hours=3))
    data = {"confirm": "y", **({"notify": "y"} if notify else {})}
    assert client.post(url(booking, "/cancel"), data=data).status_code == 303
    db.session.refresh(booking)
    assert booking.status is BookingStatus.CANCELLED
    event = last_event("booking.cancelled")
    assert event.staff_user_id == member.id
    assert event.details["notified"] is notify
    assert outbox_kinds(booking) == ([MessageKind.CANCELLED] if notify else [])


# ---- move ------------------------------------------------------------------------------------


def test_move_page_offers_free_times(clinic, desk):
    client, _ = desk
    booking = booking_for(clinic)
    page = client.get(url(booking, "/move"))
    assert page.status_code == 200
    assert 'name="start"' in page.text
    assert 'name="notify"' in page.text and "checked" in page.text


@pytest.mark.parametrize("notify", [True, False])
def test_move_to_a_free_time(clinic, desk, notify):
    client, member = desk
    booking = booking_for(clinic)
    new_start = TOMORROW_10 + timedelta(hours=3)
    data = {"start": new_start.isoformat(), **({"notify": "y"} if notify else {})}
    response = client.post(url(booking, "/move"), data=data)
    assert response.status_code == 303, response.text
    db.session.refresh(booking)
    assert booking.starts_at == new_start
    event = last_event("booking.rescheduled")
    assert event.staff_user_id == member.id
    assert outbox_kinds(booking) == ([MessageKind.RESCHEDULED] if notify else [])


def test_move_override_without_a_reason_is_refused(clinic, desk):
    client, _ = desk
    booking = booking_for(clinic)
    response = client.post(
        url(booking, "/move"),
        data={
            "override": "y",
            "override_date": "2027-03-11",
            "override_time": "19:00",
            "therapist": str(clinic["therapist"].id),
        },
    )
    assert response.status_code == 400
    assert "Please give a reason." in response.text
    db.session.refresh(booking)
    assert booking.starts_at == TOMORROW_10


def test_move_override_after_hours_with_a_reason(clinic, desk):
    client, _ = desk
    booking = booking_for(clinic)
    response = client.post(
        url(booking, "/move"),
        data={
            "override": "y",
            "override_reason": "Only free after work",
            "override_date": "2027-03-11",
            "override_time": "19:00",
            "therapist": str(clinic["therapist"].id),
            "notify": "y",
        },
    )
    assert response.status_code == 303, response.text
    db.session.refresh(booking)
    assert booking.starts_at == datetime(2027, 3, 11, 19, 0, tzinfo=UTC)
    assert last_event("booking.rescheduled").details["override_reason"] == "Only free after work"


def test_move_override_into_a_conflict_is_refused_kindly(clinic, desk):
    client, _ = desk
    booking = booking_for(clinic)
    booking_for(clinic, starts_at=datetime(2027, 3, 12, 12, 0, tzinfo=UTC))
    response = client.post(
        url(booking, "/move"),
        data={
            "override": "y",
            "override_reason": "Squeeze in",
            "override_date": "2027-03-12",
            "override_time": "12:30",
            "therapist": str(clinic["therapist"].id),
        },
    )
    assert response.status_code == 409
    assert "clashes with another booking" in response.text
    db.session.refresh(booking)
    assert booking.starts_at == TOMORROW_10


# ---- booking for a caller --------------------------------------------------------------------


def caller(clinic, answers=None, **changes):
    data = {
        "option": f"{clinic['service'].slug}:60",
        "therapist": "",
        "start": TOMORROW_10.isoformat(),
        "name": "Carol Caller",
        "email": "carol@example.org",
        "phone": "07700 900123",
        "over_18": "y",
        "form_key": "key-1",
        **form_data(answers or fine()),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_new_booking_page_lists_free_times_and_the_questions(clinic, desk):
    client, _ = desk
    page = client.get("/reception/book", query_string={"option": f"{clinic['service'].slug}:60"})
    assert page.status_code == 200
    assert 'name="start"' in page.text
    assert 'name="pain_score"' in page.text
    assert "the caller agreed" in page.text.lower()


def test_patient_search_finds_and_prefills(clinic, desk):
    client, _ = desk
    patient = make_patient(name="Penny <Search>", email="penny@example.org")
    db.session.commit()
    found = client.get("/reception/book", query_string={"q": "penny"})
    assert "Penny &lt;Search&gt;" in found.text
    assert f"patient={patient.id}" in found.text
    prefilled = client.get("/reception/book", query_string={"patient": patient.id})
    assert 'value="penny@example.org"' in prefilled.text


def test_booking_a_caller_confirms_audits_and_emails(clinic, desk):
    client, member = desk
    response = client.post("/reception/book", data=caller(clinic))
    assert response.status_code == 303, response.text
    booking = db.session.scalar(select(Booking))
    assert response.location.endswith(f"/reception/bookings/{booking.public_id}")
    assert booking.status is BookingStatus.CONFIRMED
    assert booking.source is BookingSource.RECEPTION
    event = last_event("booking.created")
    assert event.staff_user_id == member.id
    assert outbox_kinds(booking) == [MessageKind.BOOKED]


def test_a_caller_whose_screen_says_hold_is_booked_held(clinic, desk):
    client, _ = desk
    start = datetime(2027, 3, 15, 10, 0, tzinfo=UTC)  # Monday: leaves time to get cleared
    response = client.post(
        "/reception/book", data=caller(clinic, severe(), start=start.isoformat())
    )
    assert response.status_code == 303, response.text
    booking = db.session.scalar(select(Booking))
    assert booking.status is BookingStatus.HELD
    assert outbox_kinds(booking) == [MessageKind.HELD]


def test_an_emergency_screen_books_nothing_and_shows_the_advice(clinic, desk):
    client, _ = desk
    answers = fine(emergency_symptoms=frozenset({"saddle_numbness"}))
    response = client.post("/reception/book", data=caller(clinic, answers))
    assert response.status_code == 200
    assert "Nothing has been booked" in response.text
    assert count(Booking) == 0
    assert count(Intake) == 0
    assert count(OutboxMessage) == 0


def test_caller_consent_must_be_ticked(clinic, desk):
    client, _ = desk
    data = caller(clinic)
    del data["consent"]
    response = client.post("/reception/book", data=data)
    assert response.status_code == 400
    assert count(Booking) == 0


def test_caller_override_without_a_reason_is_refused(clinic, desk):
    client, _ = desk
    data = caller(
        clinic,
        start=None,
        override="y",
        override_date="2027-03-11",
        override_time="19:00",
        therapist=str(clinic["therapist"].id),
    )
    response = client.post("/reception/book", data=data)
    assert response.status_code == 400
    assert "Please give a reason." in response.text
    assert count(Booking) == 0


def test_caller_override_after_hours_books_with_the_reason(clinic, desk):
    client, _ = desk
    data = caller(
        clinic,
        start=None,
        override="y",
        override_reason="Regular, agreed by Tess",
        override_date="2027-03-11",
        override_time="19:00",
        therapist=str(clinic["therapist"].id),
    )
    response = client.post("/reception/book", data=data)
    assert response.status_code == 303, response.text
    booking = db.session.scalar(select(Booking))
    assert booking.starts_at == datetime(2027, 3, 11, 19, 0, tzinfo=UTC)
    assert last_event("booking.created").details["override_reason"] == "Regular, agreed by Tess"


def test_caller_override_into_a_conflict_is_refused_kindly(clinic, desk):
    client, _ = desk
    booking_for(clinic, starts_at=datetime(2027, 3, 11, 19, 0, tzinfo=UTC))
    data = caller(
        clinic,
        start=None,
        override="y",
        override_reason="Squeeze in",
        override_date="2027-03-11",
        override_time="19:30",
        therapist=str(clinic["therapist"].id),
    )
    response = client.post("/reception/book", data=data)
    assert response.status_code == 409
    assert "clashes with another booking" in response.text
    assert count(Booking) == 1


# ---- holds -----------------------------------------------------------------------------------


def test_extend_hold_once_with_a_reason(clinic, desk):
    client, member = desk
    booking = held_for(clinic)
    before = booking.hold_expires_at

    assert client.post(url(booking, "/extend"), data={"reason": ""}).status_code == 400
    response = client.post(url(booking, "/extend"), data={"reason": "GP on Friday"})
    assert response.status_code == 303
    db.session.refresh(booking)
    assert booking.hold_expires_at == before + timedelta(hours=48)
    event = last_event("booking.hold_extended")
    assert event.staff_user_id == member.id
    again = client.post(url(booking, "/extend"), data={"reason": "Asked again today"})
    assert again.status_code == 409
    assert "already been extended" in again.text


def test_record_clearance_by_phone_confirms_and_emails(clinic, desk):
    client, member = desk
    booking = held_for(clinic)
    refused = client.post(
        url(booking, "/clearance"), data={"source": "phone", "outcome": "cleared"}
    )
    assert refused.status_code == 400
    response = client.post(
        url(booking, "/clearance"),
        data={"source": "phone", "outcome": "cleared", "reason": "GP surgery rang"},
    )
    assert response.status_code == 303
    db.session.refresh(booking)
    assert booking.status is BookingStatus.CONFIRMED
    recorded = last_event("booking.clearance_recorded")
    assert recorded.staff_user_id == member.id
    assert recorded.details["source"] == "phone"
    assert outbox_kinds(booking) == [MessageKind.CLEARANCE_CONFIRMED]
    assert "Clearance received (phone" in client.get(url(booking)).text


def awaiting_approval(clinic):
    booking = held_for(clinic)
    clearance_service.attest(
        booking.id,
        clearance_service.ClearanceStatement(
            outcome=ClearanceOutcome.CLEARED_WITH_RESTRICTIONS,
            source=ClearanceSource.LETTER,
            staff_reason="Letter from GP",
            restriction_ticks=("avoid_area",),
        ),
        actor=Actor.system(),
        now=NOW,
    )
    db.session.commit()
    return booking


def test_reception_cannot_decide_a_clearance(app, clinic, desk):
    client, _ = desk
    booking = awaiting_approval(clinic)
    assert (
        client.post(url(booking, "/clearance/decision"), data={"decision": "approve"}).status_code
        == 403
    )
    db.session.refresh(booking)
    assert booking.status is BookingStatus.HELD


def test_another_therapist_cannot_decide(app, clinic):
    booking = awaiting_approval(clinic)
    client, _ = signed_in(app, StaffRole.THERAPIST, therapist_id=clinic["other"].id)
    response = client.post(url(booking, "/clearance/decision"), data={"decision": "approve"})
    assert response.status_code == 403
    db.session.refresh(booking)
    assert booking.status is BookingStatus.HELD


def test_the_bookings_therapist_approves(app, clinic):
    booking = awaiting_approval(clinic)
    client, member = signed_in(app, StaffRole.THERAPIST, therapist_id=clinic["therapist"].id)
    response = client.post(url(booking, "/clearance/decision"), data={"decision": "approve"})
    assert response.status_code == 303
    db.session.refresh(booking)
    assert booking.status is BookingStatus.CONFIRMED
    event = last_event("booking.confirmed")
    assert event.staff_user_id == member.id
    assert event.details["by"] == "approval"
    assert MessageKind.CLEARANCE_CONFIRMED in outbox_kinds(booking)


def test_an_admin_refuses(app, clinic):
    booking = awaiting_approval(clinic)
    client, member = signed_in(app, StaffRole.ADMIN)
    response = client.post(
        url(booking, "/clearance/decision"), data={"decision": "refuse", "reason": "Too risky"}
    )
    assert response.status_code == 303
    db.session.refresh(booking)
    assert booking.status is BookingStatus.RELEASED
    assert last_event("booking.released").staff_user_id == member.id
    assert MessageKind.HOLD_RELEASED in outbox_kinds(booking)
    assert db.session.scalar(select(Clearance)).approved_by_staff_id == member.id


# ---- time off and closures --------------------------------------------------------------------


def test_time_off_lists_overlapping_bookings_and_can_be_removed(clinic, desk):
    client, member = desk
    booking = booking_for(clinic, contact_name="Olive <Overlap>")
    response = client.post(
        "/reception/blocks",
        data={
            "kind": "time_off",
            "time_off-therapist": str(clinic["therapist"].id),
            "time_off-start_date": "2027-03-11",
            "time_off-start_time": "09:00",
            "time_off-end_date": "2027-03-11",
            "time_off-end_time": "13:00",
            "time_off-reason": "Dentist",
        },
    )
    assert response.status_code == 303, response.text
    block = db.session.scalar(select(TimeOff))
    assert block.starts_at == datetime(2027, 3, 11, 9, 0, tzinfo=UTC)
    assert last_event("schedule.time_off_added").staff_user_id == member.id
    page = client.get("/reception/blocks")
    assert "1 booking(s) overlap" in page.text
    assert "Olive &lt;Overlap&gt;" in page.text
    assert booking.public_id in page.text
    db.session.refresh(booking)
    assert booking.status is BookingStatus.CONFIRMED  # reception decides, nothing cancelled
    removed = client.post(f"/reception/blocks/time_off/{block.id}/delete")
    assert removed.status_code == 303
    assert count(TimeOff) == 0
    assert last_event("schedule.time_off_removed").staff_user_id == member.id


def test_closure_added_and_removed(clinic, desk):
    client, _ = desk
    response = client.post(
        "/reception/blocks",
        data={
            "kind": "closure",
            "closure-start_date": "2027-03-15",
            "closure-end_date": "2027-03-15",
            "closure-reason": "Boiler repair",
        },
    )
    assert response.status_code == 303, response.text
    closure = db.session.scalar(select(Closure))
    assert closure.ends_at - closure.starts_at == timedelta(days=1)
    assert "Boiler repair" in client.get("/reception/blocks").text
    assert client.post(f"/reception/blocks/closure/{closure.id}/delete").status_code == 303
    assert count(Closure) == 0
    assert audit_actions()[-2:] == ["schedule.closure_added", "schedule.closure_removed"]


def test_block_ending_before_it_starts_is_refused(clinic, desk):
    client, _ = desk
    response = client.post(
        "/reception/blocks",
        data={
            "kind": "closure",
            "closure-start_date": "2027-03-15",
            "closure-start_time": "12:00",
            "closure-end_date": "2027-03-15",
            "closure-end_time": "11:00",
        },
    )
    assert response.status_code == 409
    assert "The end must be after the start." in response.text
    assert count(Closure) == 0


def test_unknown_block_is_404(desk):
    client, _ = desk
    assert client.post("/reception/blocks/closure/999/delete").status_code == 404
    assert client.post("/reception/blocks/other/1/delete").status_code == 404
