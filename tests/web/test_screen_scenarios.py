"""Every DOMAIN.md screen rule through the JSON API and the web form (the same table as the
pure rules): the outcome decides whether a booking is made, held or not made at all."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import clock
from booking.extensions import db
from booking.models import Booking, Intake
from tests.conftest import DEFAULT_NOW
from tests.screen_scenarios import IDS, SCENARIOS, Scenario
from tests.screens import form_data
from tests.web.flow import DETAILS, FORM_KEY_RE, choose, offered_starts

API = "/api/v1/bookings"
# Far enough ahead that a held booking's deadline leaves a working day.
START = "2027-03-15T10:00:00+00:00"
HEALTH_WORDS = ("flag", "hold", "pain", "blood", "cancer", "pregnan", "bladder", "doctor")


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


def _values(value) -> list[str]:
    # The answer's values (its keys, such as hold_expires_at, are the documented contract).
    if isinstance(value, dict):
        return [v for item in value.values() for v in _values(item)]
    if isinstance(value, list):
        return [v for item in value for v in _values(item)]
    return [str(value)]


def bookings_made() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Booking))


def intakes() -> int:
    return db.session.scalar(select(func.count()).select_from(Intake))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_scenario_through_the_api(client, demo, scenario: Scenario):
    body = {
        "service": "therapeutic-back-massage",
        "duration": 60,
        "start": START,
        "therapist": None,
        "name": "Ada Patient",
        "email": "ada@example.org",
        "phone": "07700 900123",
        "over_18": True,
        "agree_policy": True,
        "screen": scenario.answers.to_data(),
        "screen_consent": True,
    }
    response = client.post(API, data=json.dumps(body), content_type="application/json")
    answer = response.get_json()
    if scenario.booking_status is None:
        assert response.status_code == 200, answer
        assert answer["outcome"] == scenario.outcome.value and answer["booking"] is None
        assert bookings_made() == 0 and intakes() == 0
        return
    assert response.status_code == 201, answer
    assert answer["booking"]["status"] == scenario.booking_status
    expected = "not_yet_confirmed" if scenario.booking_status == "held" else "confirmed"
    assert answer["result"] == expected and "outcome" not in answer
    outside = " ".join(_values({k: v for k, v in answer.items() if k != "manage_url"})).lower()
    for word in HEALTH_WORDS:
        assert word not in outside, word
    stored = db.session.scalar(select(Intake))
    assert stored.outcome == scenario.outcome.value
    assert set(scenario.codes) <= set(stored.rule_codes)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=IDS)
def test_scenario_through_the_web_form(client, demo, scenario: Scenario):
    response = choose(client, "therapeutic-back-massage:60", screen=False)
    assert response.location.endswith("/book/health")
    response = client.post("/book/health", data=form_data(scenario.answers))
    if scenario.booking_status is None:
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "We have not made a booking" in page or "we have not made a booking" in page
        if scenario.outcome.value == "emergency":
            assert "call 999 or go to A&amp;E now" in page
            assert "call us" not in page.lower().split("<footer")[0]
        if scenario.outcome.value == "urgent":
            assert "speak to a doctor today" in page
            assert "If your symptoms get worse" in page  # the safety net
            assert "Has a doctor seen you" in client.get("/book/health").get_data(as_text=True)
        if scenario.id.endswith("not-sure-urgent"):
            assert "If any of these is true, call" in page
        assert bookings_made() == 0
        assert client.get("/book/time").location.endswith("/book/health")
        return
    assert response.status_code == 303 and response.location.endswith("/book/time")
    time_page = client.get("/book/time").get_data(as_text=True)
    held = scenario.booking_status == "held"
    assert ("Clearance needed by" in time_page) is held
    assert ("If your symptoms get worse" in time_page) is held
    starts = offered_starts(client)
    if held:  # only times whose deadline leaves a working day
        assert all(s >= (DEFAULT_NOW + timedelta(hours=48)).isoformat() for s in starts)
    assert client.post("/book/time", data={"start": starts[0]}).status_code == 303
    assert client.post("/book/details", data=DETAILS).status_code == 303
    key = FORM_KEY_RE.search(client.get("/book/review").get_data(as_text=True)).group(1)
    done = client.post("/book/review", data={"form_key": key})
    assert done.status_code == 303, done.get_data(as_text=True)
    booking = db.session.scalar(select(Booking))
    assert booking.status.value == scenario.booking_status
    stored = db.session.scalar(select(Intake))
    assert stored.outcome == scenario.outcome.value
    assert set(scenario.codes) <= set(stored.rule_codes)


def test_a_red_flag_without_the_consent_box_still_gets_its_advice(client, demo):
    choose(client, "therapeutic-back-massage:60", screen=False)
    emergency = next(s for s in SCENARIOS if s.id == "q6-bladder-yes-emergency")
    response = client.post("/book/health", data=form_data(emergency.answers, consent=False))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "call 999 or go to A&amp;E now" in page
    assert bookings_made() == 0


def test_a_999_sign_left_unanswered_is_asked_again_not_taken_as_no(client, demo):
    choose(client, "therapeutic-back-massage:60", screen=False)
    data = form_data(SCENARIOS[0].answers)
    del data["sign_bladder"]
    response = client.post("/book/health", data=data)
    assert response.status_code == 400
    assert "Choose yes, no or not sure." in response.get_data(as_text=True)
