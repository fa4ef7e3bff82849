"""Input limits: oversized requests get a friendly 413; hostile values a 400 and no change.

One test per public form (and per API operation) posts control characters, CR/LF, Unicode
line separators and over-long values, and checks that nothing was stored.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from booking import clock
from booking.extensions import db
from booking.models import (
    AuditEvent,
    Booking,
    BookingDraft,
    BookingStatus,
    Clearance,
    StaffRole,
)
from booking.web import drafts
from tests.security import booking_with_token
from tests.support.database import DEFAULT_NOW
from tests.support.screens import fine, form_data
from tests.web.test_api_bookings import valid
from tests.web.test_reception_guard import PASSWORD, make_staff

SERVICE = "therapeutic-back-massage"
START = "2027-03-15T10:00:00+00:00"
# Values no single-line field may take.
HOSTILE_LINE = [
    "Jo\r\nBcc: victim@example.org",
    "Jo\nBloggs",
    "Jo\x00Bloggs",
    "Jo\x1bBloggs",
    "Jo\u2028Bloggs",
    "Jo\u202eBloggs",  # right-to-left override
    "J" * 5000,
]
# Values no multi-line field may take.
HOSTILE_TEXT = ["Fine\x00", "Fine\x07", "Fine\u2029more", "Fine\r\n\u202e", "x" * 5000]


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


def state() -> tuple:
    """Everything a refused request must leave as it was."""
    db.session.rollback()
    drafts_ = tuple(db.session.execute(select(BookingDraft.id, BookingDraft.data)).all())
    bookings = tuple(
        db.session.execute(select(Booking.id, Booking.status, Booking.starts_at)).all()
    )
    audit = db.session.scalar(select(func.count(AuditEvent.id)))
    clearances = db.session.scalar(select(func.count(Clearance.id)))
    return drafts_, bookings, audit, clearances


def with_draft(client, **data) -> None:
    draft = BookingDraft(id=secrets.token_urlsafe(32), data=data, created_at=DEFAULT_NOW)
    db.session.add(draft)
    db.session.commit()
    with client.session_transaction() as session:
        session[drafts.SESSION_KEY] = draft.id


CHOSEN = {"service": SERVICE, "minutes": 60, "therapist": ""}
SCREENED = {**CHOSEN, "screen": fine().to_data()}
TIMED = {**SCREENED, "start": START}
DETAILS = {
    "name": "Jo Bloggs",
    "email": "jo@example.org",
    "phone": "07700 900123",
    "note": "",
    "over_18": "y",
    "agree_policy": "y",
}


def assert_refused(response, before) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert state() == before


# --- Oversized requests -----------------------------------------------------------------


def assert_too_large_page(response) -> None:
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "too much to send" in page and 'class="site-header"' in page
    assert response.headers["X-Request-ID"] in page
    assert "Traceback" not in page


def test_a_body_over_the_content_limit_gets_a_friendly_413(client, demo):
    before = state()
    assert_too_large_page(client.post("/book/details", data={"note": "x" * 300_000}))
    assert state() == before


# MAX_FORM_MEMORY_SIZE and MAX_FORM_PARTS apply to multipart bodies (a URL-encoded body is
# bounded by MAX_CONTENT_LENGTH alone). Our forms are URL-encoded; an attacker's may not be.
MULTIPART = "multipart/form-data"


def test_one_huge_form_field_gets_a_413(client, demo):
    response = client.post("/book/", data={"option": "x" * 100_000}, content_type=MULTIPART)
    assert_too_large_page(response)


def test_too_many_form_fields_get_a_413(client, demo):
    data = {f"f{n}": "x" for n in range(500)}
    assert_too_large_page(client.post("/book/", data=data, content_type=MULTIPART))


def test_an_oversized_api_body_gets_a_json_413(client, demo):
    body = json.dumps(valid(note="x" * 300_000))
    response = client.post("/api/v1/bookings", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["request_id"] == response.headers["X-Request-ID"]


def test_the_form_limits_are_settings(make_app):
    assert make_app().config["MAX_FORM_MEMORY_SIZE"] <= 64 * 1024
    assert make_app().config["MAX_FORM_PARTS"] <= 200


# --- Hostile values, one public form at a time ---------------------------------------------


def test_the_treatment_form_refuses_hostile_values(client, demo):
    before = state()
    for value in [*HOSTILE_LINE, f"{SERVICE}:60\r\n"]:
        assert_refused(client.post("/book/", data={"option": value}), before)
        assert_refused(
            client.post("/book/", data={"option": f"{SERVICE}:60", "therapist": value}), before
        )


def test_the_health_form_refuses_hostile_values(client, demo):
    with_draft(client, **CHOSEN)
    before = state()
    for field in ("location", "duration", "pain_score", "recent_injury"):
        for value in HOSTILE_LINE:
            data = {**form_data(), field: value}
            assert_refused(client.post("/book/health", data=data), before)


def test_the_time_form_refuses_hostile_values(client, demo):
    with_draft(client, **SCREENED)
    before = state()
    for value in [*HOSTILE_LINE, START + "\r\n", START + " " * 50]:
        assert_refused(client.post("/book/time", data={"start": value}), before)


def test_the_time_form_refuses_a_trailing_nul(client, demo):
    with_draft(client, **SCREENED)
    before = state()
    assert_refused(client.post("/book/time", data={"start": START + "\x00"}), before)


@pytest.mark.parametrize("field", ["name", "email", "phone", "note"])
def test_the_details_form_refuses_hostile_values(client, demo, field):
    with_draft(client, **TIMED)
    before = state()
    values = HOSTILE_TEXT if field == "note" else HOSTILE_LINE
    for value in values:
        response = client.post("/book/details", data={**DETAILS, field: value})
        assert_refused(response, before)


def test_the_review_form_refuses_hostile_values(client, demo):
    with_draft(client, **TIMED, details={**DETAILS, "over_18": True, "agree_policy": True})
    before = state()
    for value in HOSTILE_LINE:
        assert_refused(client.post("/book/review", data={"form_key": value}), before)


def test_a_hostile_review_key_is_never_stored_and_never_a_500(client, demo):
    for value in HOSTILE_LINE:
        with_draft(client, **TIMED, details={**DETAILS, "over_18": True, "agree_policy": True})
        response = client.post("/book/review", data={"form_key": value})
        assert response.status_code < 500
        db.session.rollback()
        if "\x00" not in value:  # PostgreSQL cannot even be asked about a NUL
            assert db.session.scalar(select(Booking).where(Booking.form_key == value)) is None


def test_the_reschedule_form_refuses_hostile_values(client, demo):
    _, token = booking_with_token()
    before = state()
    for value in [*HOSTILE_LINE, START + "\r\n"]:
        response = client.post(f"/manage/{token}/reschedule", data={"start": value})
        assert_refused(response, before)


CLEARANCE = {
    "clinician_name": "Dr Amy Jones",
    "clinician_kind": "gp",
    "consultation_date": "2027-03-09",
    "outcome": "cleared",
    "restrictions": "",
    "truthful": "y",
}


def test_the_clearance_form_refuses_hostile_values(client, demo):
    _, token = booking_with_token(
        status=BookingStatus.HELD, hold_expires_at=DEFAULT_NOW + timedelta(hours=30)
    )
    before = state()
    cases = [("clinician_name", v) for v in HOSTILE_LINE]
    cases += [("restrictions", v) for v in HOSTILE_TEXT]
    cases += [
        (name, v)
        for name in ("clinician_kind", "outcome", "consultation_date")
        for v in HOSTILE_LINE
    ]
    for field, value in cases:
        response = client.post(f"/manage/{token}/clearance", data={**CLEARANCE, field: value})
        assert_refused(response, before)


def test_the_sign_in_form_refuses_hostile_values(app: Flask):
    make_staff(StaffRole.RECEPTION)
    client = app.test_client()
    attempts = [{"email": value, "password": PASSWORD} for value in HOSTILE_LINE]
    attempts.append({"email": "reception@clinic.example", "password": PASSWORD + "x" * 5000})
    for data in attempts:
        response = client.post("/staff/login", data=data)
        # The sign-in page answers a refusal with the form again (200); a value the database
        # cannot even compare (a NUL, on PostgreSQL) is a 400. Never a session, never a 500.
        assert response.status_code in (200, 400)
        with client.session_transaction() as session:
            assert "_user_id" not in session


# --- The API ------------------------------------------------------------------------------


def post_json(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("field", ["name", "email", "phone", "note", "therapist", "start"])
def test_api_booking_refuses_hostile_values(client, demo, field):
    before = state()
    values = HOSTILE_TEXT if field == "note" else HOSTILE_LINE
    for value in values:
        response = post_json(client, "/api/v1/bookings", valid(**{field: value}))
        assert_refused(response, before)
        assert field in response.get_json()["error"]["fields"]


def test_api_reschedule_cancel_and_clearance_refuse_hostile_values(client, demo):
    _, token = booking_with_token(
        status=BookingStatus.HELD, hold_expires_at=DEFAULT_NOW + timedelta(hours=30)
    )
    base = f"/api/v1/bookings/{token}"
    clearance = {
        "clinician_name": "Dr Amy Jones",
        "clinician_kind": "gp",
        "consultation_date": "2027-03-09",
        "outcome": "cleared",
        "restriction_ticks": [],
        "restrictions": "",
        "truthful": True,
    }
    before = state()
    for value in HOSTILE_LINE:
        assert_refused(post_json(client, f"{base}/reschedule", {"start": value}), before)
        assert_refused(post_json(client, f"{base}/cancel", {"reason": value}), before)
        for field in ("clinician_name", "clinician_kind", "consultation_date", "outcome"):
            body = {**clearance, field: value}
            assert_refused(post_json(client, f"{base}/clearance", body), before)
    for value in HOSTILE_TEXT:
        body = {**clearance, "restrictions": value}
        assert_refused(post_json(client, f"{base}/clearance", body), before)


MALFORMED = [
    b"",
    b"not json",
    b"{",
    b'{"a": 1,}',
    b"[]",
    b'"a string"',
    b"42",
    b"null",
    b"true",
    b"[" * 50_000,
    b'{"a": ' * 20_000,
    b"\xff\xfe\x00",
    b'{"start": {"$gt": ""}, "name": ["x"], "duration": "60", "screen": []}',
    b'{"__proto__": {"x": 1}}',
    b'{"duration": 1e400, "start": NaN}',
]


def api_post_paths(app: Flask, token: str, waitlist: tuple[str, str]) -> list[str]:
    """Every POST route of the API, with live tokens: a booking's, a waitlist entry's."""
    entry_token, offer = waitlist
    paths = [
        rule.rule.replace("<token>", entry_token if "/waitlist/" in rule.rule else token).replace(
            "<offer>", offer
        )
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and "POST" in (rule.methods or ())
    ]
    assert "/api/v1/bookings" in paths and len(paths) >= 4, paths
    assert all("<" not in p for p in paths), paths
    return paths


def waiting_with_an_offer() -> tuple[str, str]:
    """A demo patient on the waitlist with an offer open: their token and the offer's id."""
    from booking.models import Service, WaitlistOffer
    from booking.services.audit import Actor
    from booking.services.waitlist import entries
    from booking.services.waitlist.offering import offer_free_times

    service = db.session.scalar(select(Service).where(Service.slug == "therapeutic-back-massage"))
    day = (DEFAULT_NOW + timedelta(days=5)).date()
    entry, token = entries.join(
        entries.JoinRequest(
            service_id=service.id,
            minutes=60,
            first_day=day,
            last_day=day,
            name="Wendy Waiting",
            email="wendy@example.org",
            phone="+447700900456",
            screen=fine(),
        ),
        actor=Actor.patient(),
        now=DEFAULT_NOW,
    )
    assert offer_free_times(now=DEFAULT_NOW) == 1
    offer = db.session.scalar(select(WaitlistOffer).where(WaitlistOffer.entry_id == entry.id))
    return token, offer.public_id


def test_malformed_json_on_every_api_post_route_is_400_or_415(app, client, demo):
    _, token = booking_with_token(
        status=BookingStatus.HELD, hold_expires_at=DEFAULT_NOW + timedelta(hours=30)
    )
    waitlist = waiting_with_an_offer()
    before = state()
    for path in api_post_paths(app, token, waitlist):
        for body in MALFORMED:
            response = client.post(path, data=body, content_type="application/json")
            assert response.status_code == 400, (path, body[:30], response.status_code)
            assert response.is_json
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "text/json"):
            response = client.post(path, data=b"{}", content_type=content_type)
            assert response.status_code == 415, (path, content_type)
        assert state() == before
