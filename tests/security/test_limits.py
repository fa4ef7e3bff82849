"""Abuse limits: every limit class answers 429 with Retry-After; the hold-squatting cap."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import pytest
from flask import Flask

from booking import clock
from booking.extensions import db
from booking.models import BookingDraft, BookingSource, BookingStatus
from booking.services import bookings
from booking.services.audit import Actor
from booking.services.errors import BookingError
from booking.web import drafts
from tests.support.builders import make_booking, make_patient, make_service
from tests.support.database import DEFAULT_NOW, empty_database
from tests.support.screens import fine, severe
from tests.web.test_api_bookings import valid

LOW_LIMITS = {
    "BOOKING_SUBMIT_LIMIT_PER_ADDRESS": "3 per hour",
    "BOOKING_SUBMIT_LIMIT_PER_EMAIL": "2 per day",
    "TOKEN_LOOKUP_LIMIT_PER_ADDRESS": "3 per hour",
    "API_LIMIT_PER_ADDRESS": "5 per hour",
}
ADDRESS = {"REMOTE_ADDR": "192.0.2.10"}


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


@pytest.fixture
def limited(make_app):
    """Build an app with rate limits on (in memory, fresh counters) and low budgets."""
    pushed = []

    def factory(**settings) -> Flask:
        app = make_app(
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI="memory://",
            **{**LOW_LIMITS, **settings},
        )
        context = app.app_context()
        context.push()
        pushed.append(context)
        return app

    yield factory
    for context in reversed(pushed):
        db.session.rollback()
        empty_database()
        context.pop()


def assert_limited(response, *, json_body: bool = False) -> None:
    assert response.status_code == 429, response.get_data(as_text=True)[:300]
    assert int(response.headers["Retry-After"]) > 0
    if json_body:
        body = response.get_json()
        assert body["error"]["code"] == 429
        assert body["error"]["request_id"] == response.headers["X-Request-ID"]
    else:
        page = response.get_data(as_text=True)
        assert "Too many attempts" in page and 'class="site-header"' in page
        assert response.headers["X-Request-ID"] in page


def with_draft(client, **data) -> None:
    """Give ``client`` a booking draft holding ``data`` (as the flow would have saved it)."""
    draft = BookingDraft(id=secrets.token_urlsafe(32), data=data, created_at=DEFAULT_NOW)
    db.session.add(draft)
    db.session.commit()
    with client.session_transaction() as session:
        session[drafts.SESSION_KEY] = draft.id


def details(email: str) -> dict:
    return {"details": {"name": "Jo Bloggs", "email": email, "phone": "+447700900123"}}


def post_json(client, url, body, **kwargs):
    return client.post(url, data=json.dumps(body), content_type="application/json", **kwargs)


# --- Booking submissions ----------------------------------------------------------------


def test_booking_submissions_are_limited_per_address(limited):
    client = limited().test_client()
    for _ in range(3):
        assert client.post("/book/review", environ_base=ADDRESS).status_code != 429
    assert_limited(client.post("/book/review", environ_base=ADDRESS))
    # The API spends the same budget, and answers in JSON.
    assert_limited(post_json(client, "/api/v1/bookings", {}, environ_base=ADDRESS), json_body=True)
    # Another address, and looking at the review page, are not limited.
    assert (
        client.post("/book/review", environ_base={"REMOTE_ADDR": "192.0.2.11"}).status_code != 429
    )
    assert client.get("/book/review", environ_base=ADDRESS).status_code != 429


def test_booking_submissions_are_limited_per_email(limited):
    app = limited()
    client = app.test_client()
    with_draft(client, **details("Jo.Bloggs@Example.org"))
    for n in range(2):
        response = client.post("/book/review", environ_base={"REMOTE_ADDR": f"192.0.2.{n}"})
        assert response.status_code != 429
    assert_limited(client.post("/book/review", environ_base={"REMOTE_ADDR": "192.0.2.50"}))
    # The same address however it is typed, through the API too.
    body = valid(email="jo.bloggs@example.ORG")
    refused = post_json(
        client, "/api/v1/bookings", body, environ_base={"REMOTE_ADDR": "192.0.2.51"}
    )
    assert_limited(refused, json_body=True)
    # Someone else's email is not limited.
    other = app.test_client()
    with_draft(other, **details("someone.else@example.org"))
    assert other.post("/book/review", environ_base={"REMOTE_ADDR": "192.0.2.52"}).status_code != 429


def test_the_email_limit_survives_a_hostile_body(limited):
    client = limited(BOOKING_SUBMIT_LIMIT_PER_ADDRESS="100 per hour").test_client()
    for body in (b"[" * 100_000, b'{"email": ["x"]}', b'{"email": "\\u0000"}', b"\xff\xfe"):
        response = client.post(
            "/api/v1/bookings", data=body, content_type="application/json", environ_base=ADDRESS
        )
        assert response.status_code == 400, body[:20]


# --- Token look-ups ---------------------------------------------------------------------


def test_token_lookups_are_limited_per_address_across_manage_feeds_and_api(limited):
    client = limited().test_client()
    guesses = [
        "/manage/" + "A" * 32,
        "/feeds/" + "B" * 32 + ".ics",
        "/api/v1/bookings/" + "C" * 32,
    ]
    for path in guesses:
        assert client.get(path, environ_base=ADDRESS).status_code == 404
    assert_limited(client.get("/manage/" + "D" * 32, environ_base=ADDRESS))
    assert_limited(client.get("/api/v1/bookings/" + "E" * 32, environ_base=ADDRESS), json_body=True)
    # Pages without a token are not part of this budget.
    assert client.get("/", environ_base=ADDRESS).status_code == 200


# --- The API ----------------------------------------------------------------------------


def test_the_api_is_limited_per_address(limited):
    client = limited().test_client()
    for _ in range(5):
        assert client.get("/api/v1/services", environ_base=ADDRESS).status_code == 200
    assert_limited(client.get("/api/v1/services", environ_base=ADDRESS), json_body=True)
    assert client.get("/services", environ_base=ADDRESS).status_code == 200


# --- Client addresses -------------------------------------------------------------------


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(limited):
    client = limited(API_LIMIT_PER_ADDRESS="2 per hour").test_client()
    for n in range(2):
        client.get("/api/v1/services", headers={"X-Forwarded-For": f"198.51.100.{n}"})
    refused = client.get("/api/v1/services", headers={"X-Forwarded-For": "198.51.100.9"})
    assert refused.status_code == 429


def test_x_forwarded_for_is_honoured_behind_one_trusted_proxy(limited):
    client = limited(API_LIMIT_PER_ADDRESS="2 per hour", TRUSTED_PROXY_COUNT=1).test_client()
    spoofed = {"X-Forwarded-For": "203.0.113.1, 198.51.100.1"}  # the proxy appends the peer
    for _ in range(2):
        assert client.get("/api/v1/services", headers=spoofed).status_code == 200
    assert client.get("/api/v1/services", headers=spoofed).status_code == 429
    # Only the last hop counts: a client cannot pick its own address by prepending one.
    other_spoof = {"X-Forwarded-For": "203.0.113.99, 198.51.100.1"}
    assert client.get("/api/v1/services", headers=other_spoof).status_code == 429
    other = {"X-Forwarded-For": "198.51.100.2"}
    assert client.get("/api/v1/services", headers=other).status_code == 200


def test_x_forwarded_proto_is_honoured_behind_a_trusted_proxy(make_app):
    app = make_app(TRUSTED_PROXY_COUNT=1)
    response = app.test_client().get("/staff/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in response.headers
    plain = make_app().test_client().get("/staff/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in plain.headers


# --- Hold squatting ---------------------------------------------------------------------

EMAIL = "squatter@example.org"


def existing(count: int, *, status=BookingStatus.CONFIRMED, days=3, email=EMAIL, **fields):
    patient = make_patient(email=email)
    for n in range(count):
        extra = dict(fields)
        if status is BookingStatus.HELD:
            extra.setdefault("hold_expires_at", DEFAULT_NOW + timedelta(hours=24))
        make_booking(
            starts_at=DEFAULT_NOW + timedelta(days=days, hours=n),
            status=status,
            patient=patient,
            contact_email=email,
            **extra,
        )
    db.session.commit()


def attempt(*, email=EMAIL, screen=None, source=BookingSource.ONLINE):
    service = make_service(durations=((60, 5500),))
    wanted = bookings.BookingRequest(
        service_id=service.id,
        minutes=60,
        start=DEFAULT_NOW + timedelta(days=5),
        name="Sam Squatter",
        email=email,
        phone="+447700900123",
        screen=screen or fine(),
        source=source,
    )
    try:
        bookings.book(wanted, actor=Actor.patient(), now=DEFAULT_NOW)
    except BookingError as refusal:
        return refusal.reason
    return "booked"


def test_an_email_with_four_future_bookings_cannot_book_a_fifth_online(app):
    existing(4)
    assert attempt() == "too_many"
    assert attempt(email="someone.else@example.org") != "too_many"


def test_three_future_bookings_leave_room_for_one_more(app):
    existing(3)
    assert attempt() != "too_many"


def test_an_email_with_two_live_holds_cannot_take_a_third(app):
    existing(2, status=BookingStatus.HELD)
    assert attempt(screen=severe()) == "too_many"
    # A booking that will not be held is still allowed (up to the overall cap).
    assert attempt(screen=fine()) != "too_many"


def test_past_cancelled_and_lapsed_bookings_do_not_count(app):
    existing(2, days=-3)
    existing(2, status=BookingStatus.CANCELLED, email="other1@example.org")
    existing(
        2,
        status=BookingStatus.HELD,
        hold_expires_at=DEFAULT_NOW - timedelta(minutes=1),
        email="other2@example.org",
    )
    for email in (EMAIL, "other1@example.org", "other2@example.org"):
        assert attempt(email=email, screen=severe()) != "too_many"


def test_the_cap_counts_bookings_by_contact_email_or_patient(app):
    patient = make_patient(email="patient.record@example.org")
    for n in range(4):
        make_booking(
            starts_at=DEFAULT_NOW + timedelta(days=2, hours=n),
            patient=patient,
            contact_email=EMAIL,
        )
    db.session.commit()
    assert attempt() == "too_many"
    assert attempt(email="patient.record@example.org") == "too_many"


def test_reception_is_not_capped(app):
    existing(4)
    assert attempt(source=BookingSource.RECEPTION, screen=None) != "too_many"


def test_the_limits_are_settings(make_app):
    app = make_app(BOOKING_MAX_FUTURE_PER_EMAIL=1)
    with app.app_context():
        try:
            existing(1)
            assert attempt() == "too_many"
        finally:
            db.session.rollback()
            empty_database()


def test_the_api_answers_the_cap_with_409(client, demo):
    existing(4, email="ada@example.org")
    with clock.frozen(DEFAULT_NOW):
        response = post_json(client, "/api/v1/bookings", valid())
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["error"]["reason"] == "too_many"
