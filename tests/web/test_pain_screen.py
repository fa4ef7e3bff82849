"""The pain screen in the booking flow: outcomes, holds, and no way around it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from booking import clock
from booking.extensions import db
from booking.models import Booking, BookingDraft, BookingStatus, Intake, ScreenOutcomeCount
from tests.support.database import DEFAULT_NOW
from tests.support.flows import (
    DETAILS,
    FORM_KEY_RE,
    book_through_the_flow,
    choose,
    manage_path,
    offered_starts,
)
from tests.support.screens import fine, form_data, severe


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


def bookings_made() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Booking))


def counter(outcome: str) -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.coalesce(func.sum(ScreenOutcomeCount.count), 0)).where(
            ScreenOutcomeCount.outcome == outcome
        )
    )


def start_flow(client, option="therapeutic-back-massage:60"):
    response = choose(client, option, screen=False)
    assert response.location.endswith("/book/health")


def test_emergency_shows_advice_books_nothing_and_stores_no_answers(client, demo):
    start_flow(client)
    answers = fine(emergency_symptoms={"bladder"}, pain_score=9)
    response = client.post("/book/health", data=form_data(answers))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "call 999 or go to A&amp;E now" in page
    assert "We have not made a booking" in page
    assert bookings_made() == 0
    assert db.session.scalar(select(func.count()).select_from(Intake)) == 0
    for draft in db.session.scalars(select(BookingDraft)):
        assert "screen" not in draft.data
        assert "bladder" not in str(draft.data)
    assert counter("emergency") == 1
    # And the flow cannot continue past the screen.
    assert client.get("/book/time").location.endswith("/book/health")


def test_urgent_asks_to_see_a_doctor_today(client, demo):
    start_flow(client)
    response = client.post(
        "/book/health", data=form_data(fine(urgent_symptoms={"fever_or_unwell"}))
    )
    page = response.get_data(as_text=True)
    assert "speak to a doctor today" in page and "111" in page
    assert counter("urgent") == 1
    assert bookings_made() == 0


def test_told_not_to_have_massage_gets_a_kind_page_and_no_booking(client, demo):
    start_flow(client)
    response = client.post("/book/health", data=form_data(fine(told_not_to_massage=True)))
    assert "advised not to have massage" in response.get_data(as_text=True)
    assert bookings_made() == 0


def test_consent_is_a_separate_unticked_box_and_required(client, demo):
    start_flow(client)
    page = client.get("/book/health").get_data(as_text=True)
    assert 'name="consent"' in page and 'name="consent" value="y" checked' not in page
    response = client.post("/book/health", data=form_data(consent=False))
    assert response.status_code == 400
    assert "Please tick the box" in response.get_data(as_text=True)
    assert client.get("/book/time").location.endswith("/book/health")


@pytest.mark.parametrize("score", [" 7", "7.0", "\u0667", "\uff17", "+7", "11", "-1", "07", ""])
def test_odd_encodings_of_the_pain_score_are_refused(client, demo, score):
    start_flow(client)
    data = form_data()
    data["pain_score"] = score
    response = client.post("/book/health", data=data)
    assert response.status_code == 400
    assert "Choose a number from 0 to 10" in response.get_data(as_text=True)


def test_severe_pain_gets_a_held_booking_with_a_clear_deadline(client, demo):
    done, _start = book_through_the_flow(client, screen=severe(), pick=0)
    page = done.get_data(as_text=True)
    assert "Your time is reserved" in page
    assert "not confirmed yet" in page
    booking = db.session.scalar(select(Booking))
    assert booking.status is BookingStatus.HELD
    booked_at = DEFAULT_NOW
    assert booking.hold_expires_at == min(
        booked_at + timedelta(hours=48), booking.starts_at - timedelta(hours=24)
    )
    intake = db.session.scalar(select(Intake))
    assert intake.outcome == "hold" and intake.answers["pain_score"] == 8
    assert "q3.pain_score_at_least_threshold" in intake.rule_codes


def test_a_hold_is_only_offered_times_leaving_12_hours_to_get_cleared(client, demo):
    start_flow(client)
    client.post("/book/health", data=form_data(severe()))
    starts = [datetime.fromisoformat(s) for s in offered_starts(client)]
    assert starts
    assert min(starts) >= DEFAULT_NOW + timedelta(hours=36)
    # Without the hold, earlier times are offered.
    other = client.application.test_client()
    choose(other)
    assert min(datetime.fromisoformat(s) for s in offered_starts(other)) < DEFAULT_NOW + timedelta(
        hours=36
    )


def test_on_a_friday_evening_a_held_patient_is_told_when_a_time_can_be_held(client, demo):
    with clock.frozen(datetime.fromisoformat("2027-03-12T19:00:00+00:00")):
        start_flow(client)
        client.post("/book/health", data=form_data(severe()))
        page = client.get("/book/time").get_data(as_text=True)
    assert "You can choose a time now" not in page
    assert "would run out before the next working day" in page
    assert "We can hold a time for you from Saturday 13 March at 17:00" in page
    assert "working day" in page and "020 7946 0321" in page
    assert "no free times left" not in page and "time-button" not in page


def test_a_hold_the_settings_never_allow_online_sends_the_patient_to_the_phone(client, demo):
    from booking.services import clinic_settings
    from booking.services.audit import Actor

    clinic_settings.save(
        {"HOLD_MAX_HOURS_AFTER_BOOKING": "12"},
        app=client.application,
        actor=Actor.system(),
        now=DEFAULT_NOW,
    )
    db.session.commit()
    start_flow(client)
    client.post("/book/health", data=form_data(severe()))
    page = client.get("/book/time").get_data(as_text=True)
    assert "We can't hold a time for you online" in page and "020 7946 0321" in page
    assert "We can hold a time for you from" not in page and "time-button" not in page


def test_flagged_patients_are_not_offered_deep_pressure(client, demo):
    start_flow(client, "deep-tissue-massage:60")
    response = client.post("/book/health", data=form_data(fine(history={"blood_thinners"})))
    assert response.location.endswith("/book/")
    page = client.get("/book/").get_data(as_text=True)
    assert 'id="option-deep-tissue-massage-60"' not in page
    assert "Not suitable for you" in page
    refused = client.post("/book/", data={"option": "deep-tissue-massage:60"})
    assert refused.status_code == 400
    assert client.get("/book/time").location.endswith("/book/")
    # A gentle service is fine, and the therapist will see the flag.
    _done, _ = book_through_the_flow(client, screen=fine(history={"blood_thinners"}))
    assert db.session.scalar(select(Intake)).flags == ["blood_thinners"]


def test_skipping_the_screen_is_not_possible(client, demo):
    choose(client, screen=False)
    assert client.get("/book/time").location.endswith("/book/health")
    assert client.post("/book/time", data={"start": "2027-03-12T10:00:00+00:00"}).status_code == 303
    assert client.get("/book/details").location.endswith("/book/health")
    assert client.get("/book/review").location.endswith("/book/health")
    assert client.post("/book/review", data={"form_key": "x" * 20}).status_code == 303
    assert bookings_made() == 0


def test_hidden_fields_cannot_turn_a_hold_into_a_booking(client, demo):
    choose(client, screen=False)
    client.post("/book/health", data=form_data(severe()))
    start = offered_starts(client)[0]
    client.post("/book/time", data={"start": start, "hold": "0", "status": "confirmed"})
    client.post("/book/details", data={**DETAILS, "hold": "", "status": "confirmed"})
    key = FORM_KEY_RE.search(client.get("/book/review").get_data(as_text=True)).group(1)
    client.post("/book/review", data={"form_key": key, "status": "confirmed", "hold": "no"})
    assert db.session.scalar(select(Booking)).status is BookingStatus.HELD


def test_changing_answers_after_booking_does_not_change_the_booking(client, demo):
    done, _ = book_through_the_flow(client, screen=severe())
    choose(client, screen=False)
    client.post("/book/health", data=form_data(fine()))
    assert db.session.scalar(select(Booking)).status is BookingStatus.HELD
    assert client.get(manage_path(done)).status_code == 200
