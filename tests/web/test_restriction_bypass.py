"""A clearance's restrictions bind every booking it covers, on every channel.

The patient was cleared with "no deep pressure" (approved by the therapist). Booking Deep
tissue with the same email and answers is not offered by the web flow, is refused by the
API with a clear message, and needs a recorded reason in reception (and is then held).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from booking import clock
from booking.extensions import db
from booking.models import AuditEvent, Booking, BookingStatus, StaffRole
from booking.services import catalog
from tests.conftest import DEFAULT_NOW
from tests.restricted import DEEP, GENTLE, restricted_patient
from tests.screens import form_data, severe
from tests.web.flow import DETAILS, offered_starts
from tests.web.test_reception_actions import signed_in

FIRST = datetime(2027, 3, 15, 10, 0, tzinfo=UTC)  # Monday: a held booking may take it
LATER = "2027-03-16T10:00:00+00:00"
EMAIL = "jo.bloggs@example.org"  # DETAILS' email, normalised


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


@pytest.fixture
def restricted(demo):
    return restricted_patient(EMAIL, now=DEFAULT_NOW, start=FIRST)


def bookings_made() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Booking))


def test_the_web_flow_does_not_offer_or_book_a_conflicting_service(client, restricted):
    before = bookings_made()
    assert client.post("/book/", data={"option": f"{DEEP}:60", "therapist": ""}).status_code == 303
    assert client.post("/book/health", data=form_data(severe())).status_code == 303
    start = offered_starts(client)[0]
    client.post("/book/time", data={"start": start})
    # Once the details say who the patient is, the flow sends them back to choose.
    refused = client.post("/book/details", data=DETAILS)
    assert refused.status_code == 303
    review = client.get("/book/review")
    assert review.status_code == 302 and review.location.endswith("/book/")
    assert bookings_made() == before
    page = client.get("/book/").get_data(as_text=True)
    assert "restrictions that rule it out" in page
    # Deep tissue is no longer offered now the patient is known; the gentle one is.
    assert f'value="{DEEP}:60"' not in page
    assert f'value="{GENTLE}:60"' in page
    assert client.get("/book/review").location.endswith("/book/")


def test_the_api_refuses_a_conflicting_service_with_a_clear_message(client, restricted):
    before = bookings_made()
    body = {
        "service": DEEP,
        "duration": 60,
        "start": LATER,
        "therapist": None,
        "name": "Rita Restricted",
        "email": EMAIL,
        "phone": "07700 900123",
        "over_18": True,
        "agree_policy": True,
        "screen": severe().to_data(),
        "screen_consent": True,
    }
    response = client.post(
        "/api/v1/bookings", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["reason"] == "not_suitable"
    assert "restrictions that rule it out" in error["fields"]["service"]
    assert bookings_made() == before
    # The same patient's gentle booking is covered by the clearance: confirmed at once.
    body["service"] = GENTLE
    ok = client.post("/api/v1/bookings", data=json.dumps(body), content_type="application/json")
    assert ok.status_code == 201 and ok.get_json()["booking"]["status"] == "confirmed"


def _caller(reason: str | None = None) -> dict:
    data = {
        "option": f"{DEEP}:60",
        "therapist": "",
        "start": LATER,
        "name": "Rita Restricted",
        "email": EMAIL,
        "phone": "07700 900123",
        "over_18": "y",
        "form_key": "restricted-key-1",
        **form_data(severe()),
    }
    if reason is not None:
        data["restriction_override_reason"] = reason
    return data


def test_reception_needs_a_recorded_reason_and_the_booking_is_held(app, restricted):
    client, member = signed_in(app, StaffRole.RECEPTION)
    before = bookings_made()
    refused = client.post("/reception/book", data=_caller())
    assert refused.status_code in (400, 409)
    assert "rule out" in refused.text
    assert bookings_made() == before
    # A reason is a sentence, not punctuation.
    dot = client.post("/reception/book", data=_caller("."))
    assert dot.status_code == 400 and "a few words" in dot.text
    assert bookings_made() == before
    done = client.post(
        "/reception/book",
        data=_caller("Therapist agreed by phone: lighter deep tissue on the legs only"),
    )
    assert done.status_code == 303, done.text
    booking = db.session.scalar(
        select(Booking).where(Booking.service_id == catalog.service_by_slug(DEEP).id)
    )
    assert booking.status is BookingStatus.HELD  # the clearance no longer covers it
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.booking_id == booking.id, AuditEvent.action == "booking.held"
        )
    )
    assert event.staff_user_id == member.id
    assert event.details["restriction_override_reason"].startswith("Therapist agreed")


def test_therapists_see_the_restrictions_reception_only_that_some_apply(app, restricted):
    gentle = db.session.scalar(select(Booking))
    client, _ = signed_in(app, StaffRole.RECEPTION)
    page = client.get(f"/reception/bookings/{gentle.public_id}").text
    assert "Restrictions apply" in page and "No deep pressure" not in page
    therapist, _ = signed_in(
        app, StaffRole.THERAPIST, therapist_id=gentle.therapist_id, email="t@clinic.example"
    )
    page = therapist.get(f"/reception/bookings/{gentle.public_id}").text
    assert "No deep pressure" in page
