"""The front desk at work: free cells that start a booking, the clinic week, phone-only
callers, moves that keep the therapist, the short reference, readable audit details."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import AuditEvent, Booking, BookingSource, OutboxMessage, Patient
from booking.services import bookings
from booking.services.errors import BookingError
from booking.web.reception.display import audit_details, display_phone
from tests.screens import fine
from tests.web import test_reception_actions as actions_tests
from tests.web.test_reception_actions import NOW, TOMORROW_10, booking_for, caller, url

# The reception action tests' clinic, signed-in desk and frozen clock, shared by name.
clinic = actions_tests.clinic
desk = actions_tests.desk
frozen = actions_tests.frozen


def test_a_free_cell_of_the_day_books_with_that_therapist_and_time(clinic, desk):
    client, _ = desk
    day = client.get("/reception/day", query_string={"date": "2027-03-11"})
    assert day.status_code == 200
    start = TOMORROW_10.isoformat()
    therapist = clinic["therapist"]
    links = re.findall(r'href="(/reception/book\?[^"]+)"', day.text)
    wanted = next(
        link.replace("&amp;", "&")
        for link in links
        if f"therapist={therapist.id}" in link and "T10:00" in link.replace("%3A", ":")
    )
    assert f"with {therapist.name}" in day.text
    page = client.get(wanted)
    assert page.status_code == 200
    # The treatment is proposed, the therapist chosen and the time ticked.
    assert f'value="{clinic["service"].slug}:60" selected' in page.text or (
        f'selected value="{clinic["service"].slug}:60"' in page.text
    )
    assert re.search(rf'value="{re.escape(start)}" checked', page.text)
    assert "Tess" in page.text  # each free time says with whom


def test_a_free_cell_inside_the_notice_says_so_and_readies_the_override(clinic, desk):
    client, _ = desk
    soon = NOW + timedelta(hours=1)  # free in the grid, but inside the two hours' notice
    page = client.get(
        "/reception/book",
        query_string={"therapist": clinic["therapist"].id, "start": soon.isoformat()},
    )
    assert page.status_code == 200
    assert "Wednesday 10 March, 10:00 is inside the booking notice" in page.text
    assert "tick the override below" in page.text and "is not free for this" not in page.text
    assert 'value="2027-03-10"' in page.text and 'value="10:00"' in page.text
    # A free cell the rules allow is simply chosen, with nothing to override.
    later = client.get(
        "/reception/book",
        query_string={"therapist": clinic["therapist"].id, "start": TOMORROW_10.isoformat()},
    )
    assert "inside the booking notice" not in later.text


def test_the_clinic_week_shows_every_therapist_by_day(clinic, desk):
    client, _ = desk
    booking_for(clinic, contact_name="Wendy Week")
    page = client.get("/reception/week", query_string={"date": "2027-03-11"})
    assert page.status_code == 200
    assert "Tess Therapist" in page.text and "Otto Other" in page.text
    assert "Wendy Week" in page.text
    one = client.get(
        "/reception/week", query_string={"date": "2027-03-11", "therapist": clinic["other"].slug}
    )
    assert "Otto Other: week of" in one.text


def test_a_phone_only_caller_is_booked_and_sent_nothing(clinic, desk):
    client, _ = desk
    response = client.post("/reception/book", data=caller(clinic, email=""))
    assert response.status_code == 303, response.text
    booking = db.session.scalar(select(Booking))
    assert booking.patient.email is None and booking.contact_email == ""
    assert db.session.scalars(select(OutboxMessage)).all() == []
    page = client.get(response.location)
    assert "no emails are sent" in page.text
    sheet = client.get(url(booking, "/confirmation"))
    assert sheet.status_code == 200
    assert booking.reference in sheet.text and "Carol Caller" in sheet.text
    # Cancelling a phone-only booking queues nothing either, and says done.
    cancelled = client.post(url(booking, "/cancel"), data={"confirm": "y", "notify": "y"})
    assert cancelled.status_code == 303
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_two_phone_only_callers_are_two_patients(clinic, desk):
    client, _ = desk
    client.post("/reception/book", data=caller(clinic, email="", form_key="k1"))
    later = (TOMORROW_10 + timedelta(hours=2)).isoformat()
    client.post(
        "/reception/book", data=caller(clinic, email="", form_key="k2", name="Dan", start=later)
    )
    assert len(db.session.scalars(select(Patient)).all()) == 2


def test_a_caller_needs_an_email_or_a_phone(clinic, desk):
    client, _ = desk
    response = client.post("/reception/book", data=caller(clinic, email="", phone=""))
    assert response.status_code == 400
    assert "needs a phone number" in response.text
    assert db.session.scalar(select(Booking)) is None


def test_online_bookings_still_need_an_email(clinic):
    request = bookings.BookingRequest(
        service_id=clinic["service"].id,
        minutes=60,
        start=TOMORROW_10,
        name="No Mail",
        email="",
        phone="",
        screen=fine(),
        source=BookingSource.ONLINE,
    )
    with pytest.raises(BookingError) as refused:
        bookings.book(request, actor=None, now=NOW)
    assert refused.value.reason == "email_required"


def test_the_move_page_keeps_the_therapist_unless_changed(clinic, desk):
    client, _ = desk
    booking = booking_for(clinic)
    page = client.get(url(booking, "/move"))
    chosen = re.search(r"<option[^>]*selected[^>]*>([^<]+)</option>", page.text)
    assert chosen and chosen.group(1) == "Tess Therapist"
    assert f'name="therapist" value="{clinic["therapist"].id}"' in page.text
    anyone = client.get(url(booking, "/move"), query_string={"therapist": ""})
    assert 'name="therapist" value=""' in anyone.text


def test_the_short_reference_is_shown_and_found(clinic, desk):
    client, _ = desk
    booking = booking_for(clinic, contact_name="Rhea Ref")
    assert re.fullmatch(r"[0-9A-F]{8}", booking.reference)
    assert booking.reference in client.get(url(booking)).text
    for typed in (
        booking.reference,
        booking.reference.lower(),
        f"#{booking.reference[:4]} {booking.reference[4:]}",
    ):
        found = client.get("/reception/patients", query_string={"q": typed})
        assert f"/reception/bookings/{booking.public_id}" in found.text, typed


def test_audit_details_read_as_words(app):
    with app.test_request_context():
        pairs = audit_details(
            {
                "old_start": "2027-03-11T10:00:00+00:00",
                "notified": True,
                "ticks": ["a", "b"],
                "change": {"from": 1, "to": None},
            }
        )
    assert pairs == [
        ("Old start", "11 Mar 2027, 10:00"),
        ("Notified", "yes"),
        ("Ticks", "a, b"),
        ("Change", "From: 1; To: none"),
    ]


def test_phone_numbers_read_as_the_clinic_country_writes_them(app):
    with app.test_request_context():
        assert display_phone("+447700900123", "GB") == "07700 900123"
        assert display_phone("+12025550123", "GB") == "+1 202-555-0123"
        assert display_phone("not a number", "GB") == "not a number"


def test_the_audit_log_shows_details_without_python_reprs(clinic, app):
    from booking.models import StaffRole
    from tests.web.test_reception_actions import signed_in

    booking_for(clinic)
    client, _ = signed_in(app, StaffRole.ADMIN, email="boss@clinic.example")
    db.session.add(
        AuditEvent(
            action="booking.rescheduled",
            actor_kind=__import__("booking.models", fromlist=["ActorKind"]).ActorKind.SYSTEM,
            occurred_at=NOW,
            details={"old_start": "2027-03-11T10:00:00+00:00", "flags": {"a": True}},
        )
    )
    db.session.commit()
    page = client.get("/reception/admin/audit")
    assert page.status_code == 200
    assert "Old start:</span> 11 Mar 2027, 10:00" in page.text
    assert "{&#39;" not in page.text and "{'" not in page.text
