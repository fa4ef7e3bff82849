"""The pain screen and medical clearance over JSON (``/api/v1/bookings``).

The screen's answers are part of every booking request; the verb decides from them. The
clock is frozen at DEFAULT_NOW (Wednesday 10 March 2027, 09:00 GMT) on the demo clinic.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from booking import clock
from booking.extensions import db
from booking.intake import PAIN_SCORE_MESSAGE
from booking.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    Clearance,
    Intake,
    Patient,
    ScreenOutcomeCount,
)
from booking.web.api.bookings import NOT_YET_CONFIRMED_MESSAGE
from booking.web.api.schemas import BookingCreated, ClearanceResponse, ErrorResponse, ScreenStopped
from tests.support.database import DEFAULT_NOW
from tests.support.misses import without_reference
from tests.support.screens import fine, severe

API = "/api/v1/bookings"
SERVICE = "therapeutic-back-massage"
MONDAY_10 = "2027-03-15T10:00:00+00:00"
TODAY = DEFAULT_NOW.date()


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


def body(screen=None, **changes) -> dict:
    values = {
        "service": SERVICE,
        "duration": 60,
        "start": MONDAY_10,
        "therapist": None,
        "name": "Ada Patient",
        "email": "ada@example.org",
        "phone": "07700 900123",
        "over_18": True,
        "agree_policy": True,
        "screen": (screen or fine()).to_data(),
        "screen_consent": True,
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not ...}


def post(client, url, data, *, now=None):
    raw = data if isinstance(data, str) else json.dumps(data)
    with clock.frozen(now or DEFAULT_NOW):
        return client.post(url, data=raw, content_type="application/json")


def book(client, screen=None, **changes) -> tuple[dict, str]:
    response = post(client, API, body(screen, **changes))
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    BookingCreated.model_validate(created)
    return created, created["manage_url"].rsplit("/", 1)[1]


def free_starts(client, day: date, service: str = SERVICE) -> list[str]:
    response = client.get(
        "/api/v1/availability",
        query_string={
            "service": service,
            "duration": "60",
            "from": day.isoformat(),
            "to": day.isoformat(),
        },
    )
    assert response.status_code == 200, response.get_json()
    return [slot["start"] for slot in response.get_json()["slots"]]


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def counter(outcome: str) -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.coalesce(func.sum(ScreenOutcomeCount.count), 0)).where(
            ScreenOutcomeCount.outcome == outcome
        )
    )


def stored() -> tuple:
    """Everything a refused or stopped request must leave as it was."""
    db.session.rollback()
    rows = db.session.execute(
        select(Booking.id, Booking.status, Booking.starts_at, Booking.ics_sequence).order_by(
            Booking.id
        )
    ).all()
    return (
        tuple(rows),
        count(Intake),
        count(Patient),
        count(Clearance),
        count(AuditEvent),
    )


def assert_error(response, status: int, *fields: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = ErrorResponse.model_validate(response.get_json()).error
    assert error.code == status and error.message
    for name in fields:
        assert name in (error.fields or {}), error
    return response.get_json()["error"]


def the_booking() -> Booking:
    db.session.rollback()
    return db.session.scalar(select(Booking))


# --- Outcomes that stop the booking -------------------------------------------------------


def test_an_emergency_books_nothing_stores_no_answers_and_is_counted(client, demo):
    before = stored()
    response = post(client, API, body(fine(emergency_symptoms={"bladder"}, pain_score=9)))
    assert response.status_code == 200
    answer = response.get_json()
    ScreenStopped.model_validate(answer)
    assert answer["outcome"] == "emergency" and answer["booking"] is None
    assert "call 999 or go to A&E now" in answer["message"]
    assert "We have not made a booking" in answer["message"]
    assert response.headers["Cache-Control"] == "no-store"
    assert count(Booking) == 0 and count(Intake) == 0 and count(Patient) == 0
    assert stored() == before  # no answers, no person, no audit trail
    assert counter("emergency") == 1
    text = json.dumps(answer)
    assert "bladder" not in text and "ada" not in text.lower()


def test_an_emergency_is_answered_even_when_other_fields_are_wrong(client, demo):
    # The advice matters more than a typo in the phone number: it comes first.
    response = post(
        client,
        API,
        body(fine(recent_injury="serious_accident"), phone="12", start="yesterday"),
    )
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "emergency"
    assert count(Booking) == 0 and counter("emergency") == 1


def test_urgent_asks_to_see_a_doctor_today_and_books_nothing(client, demo):
    before = stored()
    response = post(client, API, body(fine(urgent_symptoms={"fever_or_unwell"})))
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["outcome"] == "urgent" and answer["booking"] is None
    assert "speak to a doctor today" in answer["message"] and "111" in answer["message"]
    assert stored() == before
    assert counter("urgent") == 1


def test_told_not_to_have_massage_is_declined_kindly(client, demo):
    before = stored()
    response = post(client, API, body(fine(told_not_to_massage=True)))
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["outcome"] == "declined" and answer["booking"] is None
    assert "advised not to have massage" in answer["message"]
    assert stored() == before
    assert counter("declined") == 1


def test_the_clinic_numbers_come_from_its_settings(make_app, demo):
    app = make_app(CLINIC_EMERGENCY_NUMBER="112", CLINIC_URGENT_NUMBER="116 117")
    with app.app_context():
        client = app.test_client()
        emergency = post(client, API, body(fine(emergency_symptoms={"chest_pain"})))
        urgent = post(client, API, body(fine(urgent_symptoms={"cancer_history"})))
    assert "call 112" in emergency.get_json()["message"]
    assert "call 116 117" in urgent.get_json()["message"]


# --- Hold ---------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2027, 3, 12), date(2027, 3, 15)])
def test_severe_pain_gets_a_held_booking_with_its_deadline(client, demo, day):
    # The deadline must leave a working day: 24 hours including a weekday's opening hours.
    earliest = DEFAULT_NOW + timedelta(hours=48)
    start = next(s for s in free_starts(client, day) if datetime.fromisoformat(s) >= earliest)
    created, _ = book(client, severe(), start=start)
    # Only "not yet confirmed": the screen's outcome is health data and never answered.
    assert created["result"] == "not_yet_confirmed" and "outcome" not in created
    assert created["message"] == NOT_YET_CONFIRMED_MESSAGE
    booking = created["booking"]
    assert booking["status"] == "held"
    starts_at = datetime.fromisoformat(start)
    expected = min(DEFAULT_NOW + timedelta(hours=48), starts_at - timedelta(hours=24))
    assert datetime.fromisoformat(booking["hold_expires_at"]) == expected
    stored_booking = the_booking()
    assert stored_booking.status is BookingStatus.HELD
    assert stored_booking.hold_expires_at == expected
    intake = db.session.scalar(select(Intake))
    assert intake.outcome == "hold" and intake.answers["pain_score"] == 8
    assert counter("hold") == 1


def test_a_hold_cannot_start_before_its_deadline_leaves_a_working_day(client, demo):
    earliest = DEFAULT_NOW + timedelta(hours=48)
    soon = [s for s in free_starts(client, TODAY + timedelta(days=1))]
    start = next(s for s in soon if datetime.fromisoformat(s) < earliest)
    before = stored()
    response = post(client, API, body(severe(), start=start))
    error = assert_error(response, 409)
    assert error["reason"] == "taken"
    assert error["alternatives"]
    assert all(datetime.fromisoformat(a["start"]) >= earliest for a in error["alternatives"])
    assert stored() == before and count(Booking) == 0
    # The same time is free for a patient whose booking is not held.
    created, _ = book(client, fine(), start=start)
    assert created["booking"]["status"] == "confirmed"


def test_a_flag_books_normally_but_not_deep_pressure(client, demo):
    flagged = fine(history={"blood_thinners"})
    before = stored()
    response = post(client, API, body(flagged, service="deep-tissue-massage"))
    error = assert_error(response, 409, "service")
    assert error["reason"] == "not_suitable" and "deep pressure" in error["message"]
    assert stored() == before
    created, _ = book(client, flagged)
    assert created["result"] == "confirmed" and created["message"] is None
    assert "flag" not in json.dumps(created)
    assert created["booking"]["status"] == "confirmed"
    assert db.session.scalar(select(Intake)).flags == ["blood_thinners"]


# --- Validation of the screen -------------------------------------------------------------


@pytest.mark.parametrize(
    "score", ["7", 7.0, True, "\u0667", "\uff17", 11, -1, " 7", "07", "7.0", None, 10**40]
)
def test_odd_encodings_of_the_pain_score_are_refused(client, demo, score):
    screen = {**severe().to_data(), "pain_score": score}
    before = stored()
    error = assert_error(post(client, API, body(screen=None) | {"screen": screen}), 400)
    assert error["fields"] == {"screen.pain_score": PAIN_SCORE_MESSAGE}
    assert stored() == before


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("sudden_onset", "no"),
        ("sudden_onset", 0),
        ("location", "Lower_back"),
        ("location", " lower_back"),
        ("emergency_symptoms", "bladder"),
        ("history", ["pregnant", "twins"]),
        ("urgent_symptoms", [None]),
        ("told_not_to_massage", None),
    ],
)
def test_answers_are_read_strictly(client, demo, name, value):
    screen = {**fine().to_data(), name: value}
    before = stored()
    error = assert_error(post(client, API, body() | {"screen": screen}), 400)
    assert set(error["fields"]) == {f"screen.{name}"}
    assert stored() == before


def test_every_bad_answer_is_listed_at_once(client, demo):
    screen = {**fine().to_data(), "location": "knee", "pain_score": "8", "under_care": "yes"}
    error = assert_error(post(client, API, body() | {"screen": screen}, now=None), 400)
    assert error["fields"] == {
        "screen.location": "Choose where the pain is.",
        "screen.pain_score": PAIN_SCORE_MESSAGE,
        "screen.under_care": "Choose yes or no.",
    }


def test_the_screen_is_required(client, demo):
    before = stored()
    without = body()
    del without["screen"]
    error = assert_error(post(client, API, without), 400)
    assert error["fields"] == {"screen": "This field is required."}
    for not_an_object in (None, [], "fine", 8):
        error = assert_error(post(client, API, body() | {"screen": not_an_object}), 400)
        assert error["fields"] == {"screen": "Must be a JSON object."}
    error = assert_error(post(client, API, body() | {"screen": {}}), 400, "screen.pain_score")
    assert all(name.startswith("screen.") for name in error["fields"])
    assert stored() == before


@pytest.mark.parametrize("consent", [False, ..., "true", 1, None])
def test_consent_to_the_screen_is_required(client, demo, consent):
    before = stored()
    error = assert_error(post(client, API, body(screen_consent=consent)), 400)
    assert set(error["fields"]) == {"screen_consent"}
    assert stored() == before


def test_without_consent_a_red_flag_still_gets_its_advice(client, demo):
    # Consent governs storing the answers, never whether the patient is told to get help.
    before = stored()
    response = post(client, API, body(fine(emergency_symptoms={"bowel"}), screen_consent=False))
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["outcome"] == "emergency" and answer["booking"] is None
    assert answer["message"].startswith("Your answers include symptoms")
    assert stored() == before


# --- Bypass attempts: one each ------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [("status", "confirmed"), ("hold", False), ("outcome", "book"), ("hold_expires_at", None)],
)
def test_top_level_fields_cannot_turn_a_hold_into_a_booking(client, demo, key, value):
    before = stored()
    error = assert_error(post(client, API, body(severe(), **{key: value})), 400)
    assert error["fields"] == {key: "Unknown field."}
    assert stored() == before


@pytest.mark.parametrize(("key", "value"), [("hold", False), ("outcome", "book")])
def test_extra_answers_cannot_soften_the_screen(client, demo, key, value):
    screen = {**severe().to_data(), key: value}
    before = stored()
    error = assert_error(post(client, API, body() | {"screen": screen}), 400)
    assert error["fields"] == {f"screen.{key}": "Unknown field."}
    assert stored() == before


def test_a_replay_with_milder_answers_is_refused_and_changes_nothing(client, demo):
    created, _ = book(client, severe(), idempotency_key="replay-key-0001")
    assert created["booking"]["status"] == "held"
    before = stored()
    response = post(client, API, body(fine(), idempotency_key="replay-key-0001"))
    assert assert_error(response, 409, "idempotency_key")["reason"] == "idempotency_key_reused"
    assert stored() == before
    # The same request replayed returns the same held booking.
    again = post(client, API, body(severe(), idempotency_key="replay-key-0001"))
    assert again.status_code == 200
    assert again.get_json()["booking"]["status"] == "held"
    assert again.get_json()["result"] == "not_yet_confirmed"
    assert stored() == before


def test_new_answers_after_booking_do_not_change_the_booking(client, demo):
    book(client, severe())
    book(client, fine(), email="ada@example.org", start="2027-03-15T14:00:00+00:00")
    db.session.rollback()
    statuses = db.session.scalars(select(Booking.status).order_by(Booking.id)).all()
    assert statuses == [BookingStatus.HELD, BookingStatus.CONFIRMED]


# --- Clearance ----------------------------------------------------------------------------


def statement(**changes) -> dict:
    values = {
        "clinician_name": "Dr Jane Smith",
        "clinician_kind": "gp",
        "consultation_date": (TODAY - timedelta(days=2)).isoformat(),
        "outcome": "cleared",
        "restriction_ticks": [],
        "restrictions": "",
        "truthful": True,
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not ...}


def clearance_url(token: str) -> str:
    return f"{API}/{token}/clearance"


def test_a_clearance_confirms_a_held_booking_once(client, demo):
    created, token = book(client, severe())
    response = post(client, clearance_url(token), statement())
    assert response.status_code == 200, response.get_json()
    answer = ClearanceResponse.model_validate(response.get_json())
    assert answer.result == "confirmed"
    assert "now confirmed" in answer.message
    assert answer.booking.status is BookingStatus.CONFIRMED
    assert answer.booking.hold_expires_at is None
    assert answer.booking.public_id == created["booking"]["public_id"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    booking = the_booking()
    assert booking.status is BookingStatus.CONFIRMED and booking.ics_sequence == 1
    assert booking.confirmed_at == DEFAULT_NOW
    assert count(Clearance) == 1
    # A second clearance (a replay, or a second tab) changes nothing.
    before = stored()
    error = assert_error(post(client, clearance_url(token), statement()), 409)
    assert error["reason"] == "not_held"
    assert stored() == before


def test_a_clearance_for_a_booking_that_is_not_held_is_409(client, demo):
    _, token = book(client, fine())
    before = stored()
    error = assert_error(post(client, clearance_url(token), statement()), 409)
    assert error["reason"] == "not_held"
    assert stored() == before
    assert the_booking().status is BookingStatus.CONFIRMED


def test_a_clearance_for_a_cancelled_hold_is_409(client, demo):
    _, token = book(client, severe())
    assert post(client, f"{API}/{token}/cancel", {}).status_code == 200
    before = stored()
    error = assert_error(post(client, clearance_url(token), statement()), 409)
    assert error["reason"] == "not_held"
    assert stored() == before


def test_cleared_with_restrictions_waits_for_a_therapist(client, demo):
    _, token = book(client, severe())
    response = post(
        client,
        clearance_url(token),
        statement(
            outcome="cleared_with_restrictions",
            restriction_ticks=["avoid_area"],
            restrictions="Avoid the left shoulder.\nGentle on the neck.",
        ),
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"] == "awaiting_approval"
    assert response.get_json()["booking"]["status"] == "held"
    clearance = db.session.scalar(select(Clearance))
    assert clearance.restrictions == "Avoid the left shoulder.\nGentle on the neck."
    # Only the therapist's approval can confirm it now.
    before = stored()
    error = assert_error(post(client, clearance_url(token), statement()), 409)
    assert error["reason"] == "not_held"
    assert stored() == before
    assert the_booking().status is BookingStatus.HELD


def test_not_cleared_releases_the_time(client, demo):
    _, token = book(client, severe())
    response = post(client, clearance_url(token), statement(outcome="not_cleared"))
    assert response.status_code == 200
    assert response.get_json()["result"] == "released"
    assert the_booking().status is BookingStatus.RELEASED


def test_restrictions_that_rule_out_a_deep_pressure_service_are_409(client, demo):
    start = free_starts(client, date(2027, 3, 15), "deep-tissue-massage")[0]
    _, token = book(client, severe(), service="deep-tissue-massage", start=start)
    before = stored()
    response = post(
        client,
        clearance_url(token),
        statement(outcome="cleared", restriction_ticks=["no_deep_pressure"]),
    )
    error = assert_error(response, 409, "restriction_ticks")
    assert error["reason"] == "not_suitable"
    assert stored() == before


def test_a_clearance_after_the_hold_lapsed_and_the_time_was_taken_is_409(client, demo):
    created, token = book(client, severe(), therapist="amira-hassan")
    expiry = datetime.fromisoformat(created["booking"]["hold_expires_at"])
    later = expiry + timedelta(minutes=1)
    other = post(
        client,
        API,
        body(fine(), therapist="amira-hassan", email="bea@example.org", name="Bea"),
        now=later,
    )
    assert other.status_code == 201, other.get_json()
    before = stored()
    response = post(
        client,
        clearance_url(token),
        statement(consultation_date=later.date().isoformat()),
        now=later,
    )
    error = assert_error(response, 409)
    assert error["reason"] == "taken" and error["alternatives"]
    assert stored() == before


def test_a_clearance_after_the_hold_lapsed_with_the_time_free_confirms(client, demo):
    created, token = book(client, severe())
    later = datetime.fromisoformat(created["booking"]["hold_expires_at"]) + timedelta(hours=1)
    response = post(
        client,
        clearance_url(token),
        statement(consultation_date=later.date().isoformat()),
        now=later,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"] == "confirmed"
    assert the_booking().status is BookingStatus.CONFIRMED


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("consultation_date", (TODAY + timedelta(days=1)).isoformat()),  # the future
        ("consultation_date", (TODAY - timedelta(days=31)).isoformat()),  # too long ago
        ("consultation_date", "2027-02-30"),
        ("consultation_date", "10/03/2027"),
        ("consultation_date", "2027-03-0\u0667"),
        ("consultation_date", "2027-03-08T10:00:00"),
        ("consultation_date", 20270308),
        ("clinician_name", ""),
        ("clinician_name", "   "),
        ("clinician_name", "Dr\nSmith"),
        ("clinician_name", "D" * 101),
        ("clinician_name", "12345"),
        ("clinician_kind", "nurse"),
        ("clinician_kind", None),
        ("outcome", "fine"),
        ("outcome", ...),
        ("restriction_ticks", ["no_massage"]),
        ("restriction_ticks", "avoid_area"),
        ("restrictions", "r" * 1001),
        ("restrictions", "bell \x07"),
        ("truthful", False),
        ("truthful", "true"),
        ("truthful", ...),
        ("status", "confirmed"),
    ],
)
def test_a_bad_clearance_is_400_on_its_field_and_changes_nothing(client, demo, field, value):
    _, token = book(client, severe())
    before = stored()
    response = post(client, clearance_url(token), statement(**{field: value}))
    error = assert_error(response, 400)
    assert set(error["fields"]) == {field}, error
    assert stored() == before
    assert the_booking().status is BookingStatus.HELD


def test_a_consultation_date_of_today_or_30_days_ago_is_fine(client, demo):
    _, token = book(client, severe())
    oldest = (TODAY - timedelta(days=30)).isoformat()
    response = post(client, clearance_url(token), statement(consultation_date=oldest))
    assert response.status_code == 200, response.get_json()


def test_the_clearance_route_needs_json_and_a_known_token(client, demo):
    _, token = book(client, severe())
    with clock.frozen(DEFAULT_NOW):
        not_json = client.post(clearance_url(token), data="outcome=cleared")
    assert_error(not_json, 415)
    missing = post(client, clearance_url("A" * 32), statement())
    any_miss = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert without_reference(missing) == without_reference(any_miss)
    assert the_booking().status is BookingStatus.HELD


# --- The document -------------------------------------------------------------------------


def test_the_document_describes_the_screen_and_the_clearance(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/bookings/{token}/clearance"]["post"]
    assert set(operation["responses"]) == {"200", "400", "404", "409", "415"}
    schemas = document["components"]["schemas"]
    create = schemas["BookingCreate"]
    assert {"screen", "screen_consent"} <= set(create["required"])
    assert create["properties"]["screen_consent"]["const"] is True
    screen = schemas["ScreenIn"]
    assert screen["additionalProperties"] is False
    score = screen["properties"]["pain_score"]
    assert (score["type"], score["minimum"], score["maximum"]) == ("integer", 0, 10)
    assert screen["properties"]["history"]["type"] == "array"
    assert schemas["HistoryItem"]["enum"][0] == "recent_surgery_or_fracture"
