"""A clinician's own link, in pages: the patient sends it from the held booking's manage
page; the clinician's page shows the treatment planned and the clearance questions (no
other health data), refuses a bad statement clearly with nothing saved, and works once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import clock
from booking.extensions import db
from booking.logs import mask_tokens
from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    Clearance,
    ClearanceSource,
    ClinicianLink,
    Intake,
    MessageKind,
    OutboxMessage,
)
from booking.services import clinician_links
from booking.services.audit import Actor
from booking.tokens import new_token
from tests.security import booking_with_token
from tests.support.builders import make_service
from tests.support.database import DEFAULT_NOW
from tests.support.misses import without_reference

CANARY = "Quokkafeather"
ANSWER = {
    "clinician_name": "Dr Amara Patel",
    "clinician_kind": "gp",
    "registration": "7654321",
    "outcome": "cleared",
    "truthful": "y",
}


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


def held_booking(**fields):
    booking, token = booking_with_token(
        status=BookingStatus.HELD,
        hold_expires_at=DEFAULT_NOW + timedelta(days=1),
        patient_note=f"{CANARY} sciatica",
        **fields,
    )
    booking.contact_name = "Jane Doe"
    db.session.add(
        Intake(
            booking_id=booking.id,
            answers={"pain_score": 9, "note": CANARY},
            outcome="hold",
            rule_codes=["pain_score_high"],
            flags=[],
            consent_version="1",
            consented_at=DEFAULT_NOW,
        )
    )
    db.session.commit()
    return booking, token


def clinician_token(booking) -> str:
    link = clinician_links.send(
        booking.id,
        name="Dr Amara Patel",
        email="a.patel@surgery.example",
        actor=Actor.patient(),
        now=DEFAULT_NOW,
    )
    token = clinician_links.mint(link.id, now=DEFAULT_NOW)
    db.session.commit()
    return token


def counts() -> tuple:
    db.session.rollback()
    return (
        db.session.scalar(select(func.count(ClinicianLink.id))),
        db.session.scalar(select(func.count(Clearance.id))),
        db.session.scalar(select(func.count(OutboxMessage.id))),
        tuple(db.session.execute(select(Booking.id, Booking.status)).all()),
    )


def test_a_held_bookings_manage_page_offers_the_clinicians_link(client, app):
    _, token = held_booking()
    page = client.get(f"/manage/{token}").get_data(as_text=True)
    assert f'href="/manage/{token}/clinician"' in page
    _, confirmed = booking_with_token(email="other@example.org")
    page = client.get(f"/manage/{confirmed}").get_data(as_text=True)
    assert "/clinician" not in page
    assert client.get(f"/manage/{confirmed}/clinician").status_code == 409


def test_the_patient_sends_the_link_and_sees_it_listed(client, app):
    booking, token = held_booking()
    form = client.get(f"/manage/{token}/clinician")
    assert form.status_code == 200
    text = form.get_data(as_text=True)
    assert "doesn't mention your symptoms" in text
    response = client.post(
        f"/manage/{token}/clinician",
        data={"name": "Dr Amara Patel", "email": "A.Patel@Surgery.example"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/manage/{token}")
    page = client.get(f"/manage/{token}").get_data(as_text=True)
    assert "emailed Dr Amara Patel a link" in page
    assert "a.patel@surgery.example" in page and "not answered yet" in page
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == MessageKind.CLINICIAN_REQUEST)
    )
    assert message.to_address == "a.patel@surgery.example"
    assert message.booking_id == booking.id


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "", "email": "gp@example.org"}, "Please give your clinician&#39;s name"),
        ({"name": "Dr Patel", "email": ""}, "Please enter your clinician&#39;s email address."),
        ({"name": "Dr Patel", "email": "gp at surgery"}, "doesn&#39;t look right"),
    ],
)
def test_a_bad_request_is_explained_and_nothing_is_sent(client, app, form, message):
    _, token = held_booking()
    before = counts()
    response = client.post(f"/manage/{token}/clinician", data=form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert 'class="error-summary"' in response.get_data(as_text=True)
    assert counts() == before


def test_the_clinicians_page_shows_the_treatment_and_questions_and_no_health_data(client, app):
    booking, _ = held_booking()
    token = clinician_token(booking)
    before = counts()
    response = client.get(f"/clinician/{token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Jane Doe" in page
    assert f"{booking.service.name}, 60 minutes" in page
    assert booking.starts_at.strftime("%-d %B %Y") in page
    for question in (
        "Your role",
        "Professional registration number",
        "Is massage suitable for this patient now?",
        "Light pressure only",
        "this is my professional opinion",
    ):
        assert question in page
    main = page[page.index("<main") : page.index("</main>")].lower()
    assert CANARY.lower() not in main and "sciatica" not in main and "pain" not in main
    # The name the patient gave is offered; the address is not shown.
    assert 'value="Dr Amara Patel"' in page and "a.patel@surgery.example" not in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    # A GET changes nothing but the audit trail.
    assert counts() == before
    assert db.session.scalar(
        select(AuditEvent.id).where(AuditEvent.action == "clinician_link.opened")
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"registration": ""}, "Please give your professional registration number."),
        ({"registration": "12345"}, "A GMC number is 7 digits"),
        (
            {"clinician_kind": "physiotherapist", "registration": "1234567"},
            "An HCPC number for a physiotherapist is PH and 5 or 6 digits",
        ),
        ({"clinician_kind": ""}, "Please tell us your role."),
        ({"outcome": ""}, "Please say whether massage is suitable."),
        ({"truthful": ""}, "Please confirm that this is your professional opinion."),
        ({"clinician_name": ""}, "Please give your name."),
    ],
)
def test_a_bad_clearance_is_explained_and_nothing_is_saved(client, app, changes, message):
    booking, _ = held_booking()
    token = clinician_token(booking)
    before = counts()
    response = client.post(f"/clinician/{token}", data={**ANSWER, **changes})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'class="error-summary"' in page
    assert counts() == before
    assert client.get(f"/clinician/{token}").status_code == 200  # still open


def test_the_clinicians_clearance_confirms_the_hold_and_the_link_then_404s(client, app):
    booking, _ = held_booking()
    token = clinician_token(booking)
    response = client.post(f"/clinician/{token}", data=ANSWER)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/clinician/thanks")
    thanks = client.get("/clinician/thanks").get_data(as_text=True)
    assert "The booking is confirmed" in thanks
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status is BookingStatus.CONFIRMED
    recorded = db.session.scalar(select(Clearance))
    assert recorded.source is ClearanceSource.CLINICIAN
    assert recorded.clinician_registration == "7654321"
    baseline = client.get(f"/clinician/{new_token()}")
    for method in ("get", "post"):
        again = getattr(client, method)(f"/clinician/{token}", data=ANSWER)
        assert again.status_code == 404
        assert without_reference(again) == without_reference(baseline)
    assert db.session.scalar(select(func.count(Clearance.id))) == 1
    assert db.session.scalar(select(ClinicianLink.used_at)) is not None
    # Both tries of the used link are on the audit trail, the new token's is not.
    refused = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "clinician_link.refused")
    ).all()
    assert [event.details["why"] for event in refused] == ["used", "used"]


def test_restrictions_that_rule_out_the_treatment_are_explained(client, app):
    deep = make_service(name="Deep tissue massage", deep_pressure=True)
    db.session.commit()
    booking, _ = held_booking(service=deep)
    token = clinician_token(booking)
    before = counts()
    response = client.post(
        f"/clinician/{token}",
        data={
            **ANSWER,
            "outcome": "cleared_with_restrictions",
            "restriction_ticks": "no_deep_pressure",
        },
    )
    assert response.status_code == 409
    assert "uses deep pressure, which these restrictions rule out" in response.get_data(
        as_text=True
    )
    assert counts() == before


def test_the_token_in_a_clinicians_path_is_masked_in_logs():
    token = new_token()
    assert token not in mask_tokens(f"GET /clinician/{token} 200")


def test_the_therapist_sees_who_cleared_and_their_registration_number(client, app):
    from booking.models import StaffRole
    from tests.web.test_reception_patients import client_for, intake_url

    booking, _ = held_booking()
    token = clinician_token(booking)
    answer = {**ANSWER, "outcome": "cleared_with_restrictions", "restriction_ticks": "avoid_area"}
    assert client.post(f"/clinician/{token}", data=answer).status_code == 303
    therapist, _ = client_for(app, StaffRole.THERAPIST, therapist_id=booking.therapist_id)
    page = therapist.get(intake_url(booking)).get_data(as_text=True)
    assert "Dr Amara Patel (gp), registration number 7654321" in page
    assert "by the clinician, through the link the patient sent" in page


def test_the_clinicians_page_says_how_long_the_clinics_clearance_lasts(app, make_app):
    booking, _ = held_booking()
    token = clinician_token(booking)
    assert "every visit this clearance covers (six months)" in app.test_client().get(
        f"/clinician/{token}"
    ).get_data(as_text=True)
    shorter = make_app(CLEARANCE_VALID_DAYS=28)
    with shorter.app_context():
        page = shorter.test_client().get(f"/clinician/{token}").get_data(as_text=True)
    assert "every visit this clearance covers (four weeks)" in page
