"""A patient books through the web flow, start to finish, with JavaScript off."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from booking import clock
from booking.extensions import db
from booking.models import Booking, BookingStatus, Patient
from tests.support.database import DEFAULT_NOW
from tests.support.flows import (
    CSRF_RE,
    DETAILS,
    FORM_KEY_RE,
    book_through_the_flow,
    choose,
    manage_path,
    offered_starts,
)
from tests.support.screens import form_data


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


def booking_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Booking))


def test_patient_books_and_gets_a_manage_link(client, demo):
    done, start = book_through_the_flow(client)
    page = done.get_data(as_text=True)
    assert done.status_code == 200
    assert "You're booked" in page
    assert "Therapeutic back massage" in page
    assert "Cancellation policy" in page
    booking = db.session.scalar(select(Booking))
    assert booking.status is BookingStatus.CONFIRMED
    assert booking.starts_at == datetime.fromisoformat(start)
    assert booking.price_pence == 5800 and booking.duration_minutes == 60
    assert booking.contact_email == "jo.bloggs@example.org"
    assert booking.contact_phone == "+447700900123"
    assert client.get(manage_path(done)).status_code == 200


def test_each_step_says_where_the_patient_is(client, demo):
    assert "Step 1 of 5" in client.get("/book/").get_data(as_text=True)
    choose(client)
    assert "Step 3 of 5" in client.get("/book/time").get_data(as_text=True)


def test_times_are_labelled_with_the_clinic_zone(client, demo):
    choose(client)
    assert "Europe/London" in client.get("/book/time").get_data(as_text=True)


def test_flow_works_with_csrf_protection_on(make_app, database_url):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context(), clock.frozen(DEFAULT_NOW):
        from booking.demo import seed_demo
        from tests.support.database import empty_database

        seed_demo(now=DEFAULT_NOW, with_bookings=False)
        try:
            client = app.test_client()

            def csrf(path):
                return CSRF_RE.search(client.get(path).get_data(as_text=True)).group(1)

            assert client.post("/book/", data={"option": "swedish-massage:60"}).status_code == 400
            token = csrf("/book/")
            assert (
                client.post(
                    "/book/", data={"option": "swedish-massage:60", "csrf_token": token}
                ).status_code
                == 303
            )
            token = csrf("/book/health")
            response = client.post("/book/health", data={**form_data(), "csrf_token": token})
            assert response.status_code == 303
            start = offered_starts(client)[0]
            token = csrf("/book/time")
            assert (
                client.post("/book/time", data={"start": start, "csrf_token": token}).status_code
                == 303
            )
            token = csrf("/book/details")
            assert (
                client.post("/book/details", data={**DETAILS, "csrf_token": token}).status_code
                == 303
            )
            page = client.get("/book/review").get_data(as_text=True)
            key = FORM_KEY_RE.search(page).group(1)
            token = CSRF_RE.search(page).group(1)
            # Without the token nothing is booked.
            assert client.post("/book/review", data={"form_key": key}).status_code == 400
            assert booking_count() == 0
            response = client.post("/book/review", data={"form_key": key, "csrf_token": token})
            assert response.status_code == 303
            assert booking_count() == 1
        finally:
            db.session.rollback()
            empty_database()


def test_double_submit_returns_the_same_booking(client, demo):
    choose(client)
    client.post("/book/time", data={"start": offered_starts(client)[3]})
    client.post("/book/details", data=DETAILS)
    key = FORM_KEY_RE.search(client.get("/book/review").get_data(as_text=True)).group(1)
    first = client.post("/book/review", data={"form_key": key})
    second = client.post("/book/review", data={"form_key": key})
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert booking_count() == 1
    # Back to the review page and submit again: still one booking, same done page.
    third = client.post("/book/review", data={"form_key": key})
    assert third.location == first.location
    assert booking_count() == 1


def test_entered_details_survive_a_validation_error(client, demo):
    choose(client)
    client.post("/book/time", data={"start": offered_starts(client)[0]})
    response = client.post("/book/details", data={**DETAILS, "email": "not-an-email"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "email address doesn" in page
    assert 'value="Jo Bloggs"' in page
    assert "Left side is worse" in page
    assert booking_count() == 0


def test_details_survive_the_back_button(client, demo):
    choose(client)
    client.post("/book/time", data={"start": offered_starts(client)[0]})
    client.post("/book/details", data=DETAILS)
    page = client.get("/book/details").get_data(as_text=True)
    assert 'value="Jo Bloggs"' in page
    assert 'value="jo.bloggs@example.org"' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "tell us your name"),
        ("name", "x" * 101, "at most 100"),
        ("name", "Jo\nBloggs", "one line"),
        ("name", "Jo\u202eBloggs", "invisible"),
        ("email", "jo@@example.org", "email address doesn"),
        ("email", "a" * 250 + "@example.org", "at most 254"),
        ("phone", "call me maybe", "only digits"),
        ("phone", "123", "phone number doesn"),
        ("phone", "0" * 21, "at most 20"),
        ("note", "x" * 2001, "at most 2000"),
        ("note", "fine\x00", "invisible"),
        ("agree_policy", "", "agree to the cancellation policy"),
    ],
)
def test_each_bad_detail_gets_its_message_and_books_nothing(client, demo, field, value, message):
    choose(client)
    client.post("/book/time", data={"start": offered_starts(client)[0]})
    data = {**DETAILS, field: value}
    if value == "":
        data.pop(field)
    response = client.post("/book/details", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert booking_count() == 0


def test_under_18_needs_a_guardian(client, demo):
    choose(client)
    client.post("/book/time", data={"start": offered_starts(client)[0]})
    data = {**DETAILS, "date_of_birth": "2015-06-01"}
    data.pop("over_18")
    response = client.post("/book/details", data=data)
    assert response.status_code == 400
    assert "guardian" in response.get_data(as_text=True)
    data["guardian_consent"] = "y"
    assert client.post("/book/details", data=data).status_code == 303


def test_a_start_that_is_not_offered_is_refused(client, demo):
    choose(client)
    for start in ["2027-03-10T03:00:00+00:00", "2027-03-11T09:07:00+00:00", "yesterday", ""]:
        response = client.post("/book/time", data={"start": start})
        assert response.status_code == 400
    assert "start" not in (client.get("/book/review").location or "")


def test_the_price_comes_from_the_service_not_the_request(client, demo):
    choose(client, "deep-tissue-massage:90")
    client.post("/book/time", data={"start": offered_starts(client)[0], "price_pence": "1"})
    client.post("/book/details", data={**DETAILS, "price_pence": "1", "minutes": "5"})
    key = FORM_KEY_RE.search(client.get("/book/review").get_data(as_text=True)).group(1)
    client.post("/book/review", data={"form_key": key, "price_pence": "1", "minutes": "5"})
    booking = db.session.scalar(select(Booking))
    assert (booking.duration_minutes, booking.price_pence) == (90, 8200)


def test_an_unknown_treatment_is_refused(client, demo):
    response = client.post("/book/", data={"option": "free-massage:600"})
    assert response.status_code == 400  # the form again, with the message
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert client.get("/book/time").location.endswith("/book/")


def test_a_therapist_who_does_not_offer_the_service_is_refused(client, demo):
    # Grace Okafor does not offer the initial assessment.
    response = client.post(
        "/book/", data={"option": "initial-assessment:60", "therapist": "grace-okafor"}
    )
    assert "doesn" in response.get_data(as_text=True)


def test_lost_race_says_just_taken_with_alternatives_and_keeps_details(client, demo, app):
    choose(client, therapist="amira-hassan")
    start = offered_starts(client)[4]
    client.post("/book/time", data={"start": start})
    client.post("/book/details", data=DETAILS)
    key = FORM_KEY_RE.search(client.get("/book/review").get_data(as_text=True)).group(1)

    # Someone else takes the same time with the same therapist first.
    other = app.test_client()
    choose(other, therapist="amira-hassan")
    other.post("/book/time", data={"start": start})
    other.post("/book/details", data={**DETAILS, "email": "other@example.org"})
    other_key = FORM_KEY_RE.search(other.get("/book/review").get_data(as_text=True)).group(1)
    assert other.post("/book/review", data={"form_key": other_key}).status_code == 303

    response = client.post("/book/review", data={"form_key": key})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "just taken" in page
    alternatives = re.findall(r'name="start" value="([^"]+)"', page)
    assert alternatives and start not in alternatives
    # Picking an alternative goes straight back to the review with the details kept.
    response = client.post("/book/time", data={"start": alternatives[0]})
    assert response.location.endswith("/book/review")
    assert "Jo Bloggs" in client.get("/book/review").get_data(as_text=True)
    assert booking_count() == 1


def test_returning_patient_is_not_overwritten_by_a_new_form(client, demo, app):
    book_through_the_flow(client)
    second = app.test_client()
    book_through_the_flow(
        second, pick=5, name="Mallory Typo", phone="07700 900999", email="JO.BLOGGS@example.org"
    )
    patients = db.session.scalars(select(Patient)).all()
    assert len(patients) == 1
    assert patients[0].name == "Jo Bloggs"
    latest = db.session.scalars(select(Booking).order_by(Booking.id.desc())).first()
    assert latest.contact_name == "Mallory Typo"


def test_the_done_page_is_only_for_the_browser_that_booked(client, demo, app):
    _done, _ = book_through_the_flow(client)
    ref = db.session.scalar(select(Booking)).public_id
    assert app.test_client().get(f"/book/done/{ref}").status_code == 404


def test_a_retry_whose_first_answer_was_lost_shows_the_booking_with_a_working_link(client, demo):
    choose(client)
    client.post("/book/time", data={"start": offered_starts(client)[2]})
    client.post("/book/details", data=DETAILS)
    key = FORM_KEY_RE.search(client.get("/book/review").get_data(as_text=True)).group(1)
    name = client.application.config["SESSION_COOKIE_NAME"]
    domain = client.application.config["SERVER_NAME"]
    before = client.get_cookie(name, domain=domain)
    first = client.post("/book/review", data={"form_key": key})
    assert first.status_code == 303 and booking_count() == 1
    # The answer never reached the browser: it still holds the session from before.
    client.set_cookie(name, before.value, domain=domain)
    retry = client.post("/book/review", data={"form_key": key})
    assert retry.status_code == 303 and retry.location == first.location
    assert booking_count() == 1
    done = client.get(retry.location)
    assert done.status_code == 200
    link = re.search(r"/manage/[A-Za-z0-9_-]+", done.get_data(as_text=True)).group(0)
    assert client.get(link).status_code == 200
