"""The manage link: view, reschedule and cancel within policy; tokens are secrets."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from booking import clock
from booking.extensions import db
from booking.models import AuditEvent, Booking, BookingStatus, ManageToken
from tests.support.database import DEFAULT_NOW
from tests.support.flows import book_through_the_flow, manage_path, offered_starts
from tests.support.misses import without_reference


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


@pytest.fixture
def booked(client, demo):
    """A confirmed booking a few days ahead, and its manage path."""
    done, _ = book_through_the_flow(client, pick=100)
    return manage_path(done)


def the_booking() -> Booking:
    db.session.rollback()
    return db.session.scalar(select(Booking))


def test_manage_page_shows_the_booking_privately(client, booked):
    response = client.get(booked)
    assert response.status_code == 200
    assert "Therapeutic back massage" in response.get_data(as_text=True)
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]


def test_token_is_long_random_and_stored_only_as_a_hash(client, booked):
    token = booked.rsplit("/", 1)[1]
    assert len(token) * 6 >= 128
    assert token != the_booking().public_id
    stored = db.session.scalar(select(ManageToken))
    assert stored.token_hash != token and token not in stored.token_hash


def test_unknown_tampered_and_truncated_tokens_get_the_same_404(client, booked):
    token = booked.rsplit("/", 1)[1]
    bodies = set()
    for bad in ["x" * 32, token[:-1], token[:-1] + ("A" if token[-1] != "A" else "B"), "1"]:
        response = client.get(f"/manage/{bad}")
        assert response.status_code == 404
        bodies.add(without_reference(response))
    bodies.add(without_reference(client.get("/no-such-page")))
    assert len(bodies) == 1


def test_get_never_changes_anything(client, booked):
    before = the_booking()
    state = (before.status, before.starts_at, before.ics_sequence)
    for path in [booked, f"{booked}/cancel", f"{booked}/reschedule"]:
        client.get(path)
    after = the_booking()
    assert (after.status, after.starts_at, after.ics_sequence) == state


def test_patient_reschedules_and_the_old_time_is_freed(client, booked):
    old = the_booking().starts_at
    new_start = offered_starts(client, f"{booked}/reschedule")[40]
    response = client.post(f"{booked}/reschedule", data={"start": new_start})
    assert response.status_code == 303
    booking = the_booking()
    assert booking.starts_at == datetime.fromisoformat(new_start)
    assert booking.ics_sequence == 1
    assert booking.status is BookingStatus.CONFIRMED
    # The old time is offered again.
    assert old.isoformat() in offered_starts(client, f"{booked}/reschedule?from={old.date()}")
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booking.rescheduled"))
        is not None
    )


def test_reschedule_to_a_time_that_is_not_free_keeps_the_old_one(client, booked):
    old = the_booking().starts_at
    response = client.post(f"{booked}/reschedule", data={"start": "2027-03-10T03:00:00+00:00"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "just taken" in page
    assert 'name="start" value="' in page  # the nearest free alternatives
    assert the_booking().starts_at == old
    assert the_booking().ics_sequence == 0


def test_patient_cancels_after_a_confirm_page(client, booked):
    page = client.get(f"{booked}/cancel")
    assert page.status_code == 200 and "Cancel your booking?" in page.get_data(as_text=True)
    response = client.post(f"{booked}/cancel")
    assert response.status_code == 303
    booking = the_booking()
    assert booking.status is BookingStatus.CANCELLED
    assert booking.cancelled_at == DEFAULT_NOW
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booking.cancelled"))
        is not None
    )


def test_a_cancelled_booking_still_shows_but_cannot_act(client, booked):
    client.post(f"{booked}/cancel")
    assert client.get(booked).status_code == 200
    assert "Cancelled" in client.get(booked).get_data(as_text=True)
    assert client.post(f"{booked}/cancel").status_code == 409
    start = "2027-03-20T10:00:00+00:00"
    assert client.post(f"{booked}/reschedule", data={"start": start}).status_code == 409
    assert client.get(f"{booked}/reschedule").status_code == 409
    assert the_booking().status is BookingStatus.CANCELLED


def test_a_past_booking_cannot_act(client, booked):
    with clock.frozen(the_booking().starts_at + timedelta(hours=2)):
        assert client.get(booked).status_code == 200
        assert client.post(f"{booked}/cancel").status_code == 409
        assert client.get(f"{booked}/cancel").status_code == 409


def test_inside_the_cutoff_the_page_says_please_call_us(client, booked):
    with clock.frozen(the_booking().starts_at - timedelta(hours=23)):
        page = client.get(booked).get_data(as_text=True)
        assert "please call us" in page
        assert "020 7946 0321" in page
        response = client.post(f"{booked}/cancel")
        assert response.status_code == 409
        assert "Please call us" in response.get_data(as_text=True)
    assert the_booking().status is BookingStatus.CONFIRMED


def test_cancel_and_reschedule_cutoffs_are_separate_settings(make_app, demo):
    app = make_app(BOOKING_CANCEL_CUTOFF_HOURS=48, BOOKING_RESCHEDULE_CUTOFF_HOURS=2)
    with app.app_context(), clock.frozen(DEFAULT_NOW):
        client = app.test_client()
        done, _ = book_through_the_flow(client, pick=40)  # about a day ahead
        path = manage_path(done)
        page = client.get(path).get_data(as_text=True)
        assert "Move to another time" in page
        assert "Cancel booking" not in page
