"""``/api/v1/bookings``: book, read, reschedule and cancel through the test client.

The clock is always frozen at DEFAULT_NOW (Wednesday 10 March 2027, 09:00 GMT) on the demo
clinic. Every refused request is checked to have changed nothing.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from booking import clock
from booking.extensions import db
from booking.models import AuditEvent, Booking
from booking.web.api.schemas import BookingCreated, BookingResponse, ErrorResponse
from tests.support.database import DEFAULT_NOW, on_postgresql, statements_sent
from tests.support.misses import without_reference
from tests.support.screens import fine, severe

API = "/api/v1/bookings"
SERVICE = "therapeutic-back-massage"  # 30/45/60 min; Amira works Mondays 09-13 and 14-18
MONDAY_10 = "2027-03-15T10:00:00+00:00"
MONDAY_1130 = "2027-03-15T11:30:00+00:00"
MONDAY_12 = "2027-03-15T12:00:00+00:00"  # only Amira works then
TODAY_14 = "2027-03-10T14:00:00+00:00"  # five hours ahead: inside the 24 h cut-offs


def valid(**changes) -> dict:
    body = {
        "service": SERVICE,
        "duration": 60,
        "start": MONDAY_10,
        "therapist": "amira-hassan",
        "name": "Ada Patient",
        "email": "Ada@Example.org",
        "phone": "07700 900123",
        "note": "Lower back, left side.\nWorse in the mornings.",
        "over_18": True,
        "agree_policy": True,
        # A benign pain screen (outcome "book"), and consent to its use.
        "screen": fine().to_data(),
        "screen_consent": True,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def post(client, url: str, body, *, content_type: str = "application/json", now=DEFAULT_NOW):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    with clock.frozen(now):
        return client.post(url, data=data, content_type=content_type)


def get(client, url: str, now=DEFAULT_NOW):
    with clock.frozen(now):
        return client.get(url)


def book(client, **changes) -> tuple[dict, str]:
    """Book ``valid(**changes)``; return the booking JSON and its manage token."""
    response = post(client, API, valid(**changes))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    return body["booking"], body["manage_url"].rsplit("/", 1)[1]


def bookings_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Booking))


def state() -> tuple:
    """What a refused request must leave exactly as it was."""
    rows = db.session.execute(
        select(Booking.public_id, Booking.status, Booking.starts_at).order_by(Booking.id)
    ).all()
    return bookings_count(), tuple(rows), db.session.scalar(select(func.count(AuditEvent.id)))


def assert_error(response, status: int, *field_names: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    ErrorResponse.model_validate(body)
    error = body["error"]
    assert error["code"] == status and error["message"]
    for name in field_names:
        assert name in error.get("fields", {}), error
    return error


@pytest.fixture
def unchanged(demo):
    """Assert that the test's requests changed nothing (rows and audit trail)."""
    before = state()
    yield
    db.session.rollback()
    assert state() == before


# --- Booking ----------------------------------------------------------------------------


def test_booking_returns_201_with_the_manage_url_and_get_shows_it(client, demo):
    response = post(client, API, valid())
    assert response.status_code == 201
    body = BookingCreated.model_validate(response.get_json())
    assert body.manage_url.startswith("http://clinic.test/manage/")
    booking = response.get_json()["booking"]
    assert booking["status"] == "confirmed"
    assert booking["service"] == {"slug": SERVICE, "name": "Therapeutic back massage"}
    assert booking["therapist"]["slug"] == "amira-hassan"
    assert booking["start"] == MONDAY_10 and booking["end"] == "2027-03-15T11:00:00+00:00"
    assert booking["duration"] == 60 and booking["price_pence"] == 5800
    assert booking["timezone"] == "Europe/London"
    assert booking["can_cancel"] and booking["can_reschedule"]
    assert booking["hold_expires_at"] is None
    assert booking["name"] == "Ada Patient"
    assert body.result == "confirmed" and body.message is None
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"

    token = body.manage_url.rsplit("/", 1)[1]
    shown = get(client, f"{API}/{token}")
    assert shown.status_code == 200
    assert BookingResponse.model_validate(shown.get_json())
    assert shown.get_json()["booking"] == booking
    assert shown.headers["Cache-Control"] == "no-store"
    assert shown.headers["Referrer-Policy"] == "no-referrer"
    stored = db.session.scalar(select(Booking))
    assert stored.contact_email == "ada@example.org" and stored.contact_phone == "+447700900123"
    assert bookings_count() == 1


@pytest.mark.parametrize("therapist", ["amira-hassan", None])
def test_the_answer_to_a_booking_needs_the_database_no_more_after_its_commit(
    client, demo, therapist
):
    # The database goes away right after the COMMIT: the booking was made, so the answer
    # must still say so, in full, rather than turn into an error.
    wrote: list[bool] = []
    committed: list[bool] = []

    def note_commit(session):
        if wrote:
            committed.append(True)

    def gone(conn, cursor, statement, *args):
        if committed:
            raise RuntimeError(f"read after the commit: {statement[:80]}")
        if statement.startswith("INSERT INTO bookings"):
            wrote.append(True)

    db.session.remove()  # a request's own session, as in production
    event.listen(Session, "after_commit", note_commit)
    event.listen(db.engine, "before_cursor_execute", gone)
    try:
        response = post(client, API, valid(therapist=therapist))
    finally:
        event.remove(db.engine, "before_cursor_execute", gone)
        event.remove(Session, "after_commit", note_commit)
    assert committed and response.status_code == 201, response.get_json()
    booking = response.get_json()["booking"]
    assert booking["therapist"]["slug"] in {"amira-hassan", "grace-okafor"}
    assert booking["therapist"]["name"] in {"Amira Hassan", "Grace Okafor"}
    assert booking["service"]["name"] == "Therapeutic back massage"
    stored = db.session.scalar(select(Booking))
    assert stored.public_id == booking["public_id"]
    assert stored.therapist.slug == booking["therapist"]["slug"]


def test_a_new_patients_booking_through_the_api_takes_eight_statements_on_postgresql(client, demo):
    db.session.remove()  # a request's own session, as in production
    with statements_sent() as sent:
        response = post(client, API, valid())
    assert response.status_code == 201
    # The policy, the service and the therapist checked; the facts and the re-check's window;
    # the patient and the booking; the rows nothing reads back, with the commit. SQLite
    # ends the read transaction to take its write lock (the service is read again) and
    # sends those rows one by one.
    assert len(sent) == (8 if on_postgresql() else 13), "\n".join(sent)


def test_booking_json_never_carries_the_note_or_contact_details(client, demo):
    booking, token = book(client)
    text = get(client, f"{API}/{token}").get_data(as_text=True)
    for secret in ("mornings", "ada@example.org", "7700900123", "Lower back"):
        assert secret not in text
    assert "mornings" not in json.dumps(booking)


def test_any_therapist_is_assigned_one(client, demo):
    booking, _ = book(client, therapist=None)
    assert booking["therapist"]["slug"] in {"amira-hassan", "grace-okafor"}


def test_price_and_duration_come_from_the_service(client, demo):
    booking, _ = book(client, duration=30, start="2027-03-15T09:00:00+00:00")
    assert booking["price_pence"] == 3500
    assert booking["end"] == "2027-03-15T09:30:00+00:00"


def test_replay_with_the_same_idempotency_key_returns_the_same_booking(client, demo):
    first = post(client, API, valid(idempotency_key="retry-key-0001"))
    assert first.status_code == 201
    again = post(client, API, valid(idempotency_key="retry-key-0001"))
    assert again.status_code == 200
    body = BookingCreated.model_validate(again.get_json())
    assert body.manage_url is None and body.note
    assert again.get_json()["booking"] == first.get_json()["booking"]
    assert again.get_json()["result"] == first.get_json()["result"] == "confirmed"
    assert bookings_count() == 1


def test_an_idempotency_key_reused_for_a_different_request_is_409(client, demo):
    post(client, API, valid(idempotency_key="retry-key-0002"))
    before = state()
    other = post(client, API, valid(idempotency_key="retry-key-0002", email="eve@example.org"))
    error = assert_error(other, 409, "idempotency_key")
    assert error["reason"] == "idempotency_key_reused"
    assert "Ada" not in other.get_data(as_text=True)
    assert state() == before


def test_a_taken_time_is_409_with_alternatives(client, demo):
    book(client)
    before = state()
    response = post(client, API, valid(email="bea@example.org", name="Bea"))
    error = assert_error(response, 409)
    assert error["reason"] == "taken"
    assert "just taken" in error["message"]
    alternatives = error["alternatives"]
    assert alternatives and all(set(a) == {"start", "end", "therapists"} for a in alternatives)
    assert MONDAY_10 not in [a["start"] for a in alternatives]
    assert all(a["therapists"] == ["amira-hassan"] for a in alternatives)
    assert all(datetime.fromisoformat(a["start"]).utcoffset() is not None for a in alternatives)
    assert state() == before


def test_a_held_booking_too_soon_to_get_cleared_says_so_not_that_it_was_taken(client, demo):
    before = state()
    # Wednesday 09:00: a hold must leave Thursday's hours, so Thursday 10:00 is too soon.
    response = post(client, API, valid(screen=severe().to_data(), start="2027-03-11T10:00:00Z"))
    error = assert_error(response, 409)
    assert error["reason"] == "taken"
    assert "just taken" not in error["message"]
    assert "too soon for us to hold" in error["message"]
    starts = [datetime.fromisoformat(a["start"]) for a in error["alternatives"]]
    bound = datetime.fromisoformat("2027-03-12T17:00:00+00:00")  # Thursday 17:00 plus 24 h
    assert starts and min(starts) >= bound
    assert state() == before


def test_on_a_friday_evening_a_held_booking_is_told_when_holds_open_again(client, demo):
    before = state()
    friday_evening = datetime.fromisoformat("2027-03-12T19:00:00+00:00")
    response = post(client, API, valid(screen=severe().to_data()), now=friday_evening)
    error = assert_error(response, 409)
    assert "until Saturday 13 March at 17:00" in error["message"]
    assert "020 7946 0321" in error["message"] and "just taken" not in error["message"]
    assert error["alternatives"] == []
    assert state() == before


# --- Bad input: one test per class, each changes nothing ----------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "", "application/xml"]
)
def test_a_body_that_is_not_declared_json_is_415(client, unchanged, content_type):
    response = post(client, API, json.dumps(valid()), content_type=content_type)
    assert_error(response, 415)


@pytest.mark.parametrize("raw", ["", "{", "{'service': 1}", '{"a": 1,}', b"\xff\xfe", "nul"])
def test_invalid_json_is_400(client, unchanged, raw):
    error = assert_error(post(client, API, raw), 400)
    assert "JSON" in error["message"]


@pytest.mark.parametrize("raw", ["[]", '"text"', "42", "null", "true", "[{}]"])
def test_a_body_that_is_not_an_object_is_400(client, unchanged, raw):
    error = assert_error(post(client, API, raw), 400)
    assert "object" in error["message"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("duration", "60"),
        ("duration", True),
        ("duration", 60.0),
        ("duration", None),
        ("over_18", "true"),
        ("over_18", 1),
        ("over_18", False),
        ("agree_policy", "yes"),
        ("agree_policy", False),
        ("name", 5),
        ("email", ["a@example.org"]),
        ("phone", 7700900123),
        ("note", None),
        ("service", {"slug": SERVICE}),
        ("therapist", 3),
        ("start", 1773565200),
        ("screen", "severe"),
        ("idempotency_key", 12345678),
    ],
)
def test_a_wrong_json_type_is_400(client, unchanged, field, value):
    assert_error(post(client, API, valid(**{field: value})), 400, field)


@pytest.mark.parametrize("key", ["price", "price_pence", "status", "Service", "room"])
def test_unknown_keys_are_400(client, unchanged, key):
    error = assert_error(post(client, API, valid(**{key: 1})), 400, key)
    if key == "price":
        assert "service" in error["fields"]["price"]


def test_missing_fields_are_all_listed(client, unchanged):
    error = assert_error(post(client, API, {}), 400)
    required = {"service", "duration", "start", "name", "email", "phone", "over_18"}
    assert set(error["fields"]) == required | {"agree_policy", "screen", "screen_consent"}


def test_every_invalid_field_is_reported_at_once(client, unchanged):
    body = valid(
        service="no-such-service",
        start="2027-03-15T10:00:00",
        name="Ada\nPatient",
        email="not an email",
        phone="12",
        note="bell \x07",
        therapist="nobody",
        over_18="true",
    )
    error = assert_error(post(client, API, body), 400)
    assert set(error["fields"]) == {
        "service",
        "start",
        "name",
        "email",
        "phone",
        "note",
        "therapist",
        "over_18",
    }
    assert error["fields"]["name"] == "Please keep this on one line."


def test_catalog_checks_run_beside_type_errors(client, unchanged):
    body = valid(duration=61, name=7)
    error = assert_error(post(client, API, body), 400, "duration", "name")
    assert "30, 45, 60" in error["fields"]["duration"]


@pytest.mark.parametrize(
    ("field", "length"), [("name", 101), ("email", 255), ("phone", 21), ("note", 2001)]
)
def test_over_long_text_is_400(client, unchanged, field, length):
    value = {
        "name": "A" * length,
        "email": "a" * (length - len("@example.org")) + "@example.org",
        "phone": "0" * length,
        "note": "n" * length,
    }[field]
    error = assert_error(post(client, API, valid(**{field: value})), 400, field)
    assert "at most" in error["fields"][field]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Ada\rPatient"),
        ("name", "Ada\u2028Patient"),
        ("email", "ada@\nexample.org"),
        ("phone", "07700\n900123"),
        ("name", "Ada\x00"),
        ("note", "fine\x1b[31m"),
        ("name", "Ada\u200ePatient"),
    ],
)
def test_control_characters_and_line_breaks_are_400(client, unchanged, field, value):
    assert_error(post(client, API, valid(**{field: value})), 400, field)


@pytest.mark.parametrize(
    "start",
    [
        "next monday",
        "2027-03-15",
        "2027-03-15T10:00:00",
        "2027-03-15 10:00",
        "2027-13-15T10:00:00+00:00",
        "2027-03-09T10:00:00+00:00",  # the past
        "2027-09-15T10:00:00+01:00",  # beyond the 60-day horizon
        "9999-12-31T23:59:59-23:59",  # beyond any calendar arithmetic
        "0001-01-01T00:00:00+23:59",
        "",
    ],
)
def test_a_bad_start_is_400(client, unchanged, start):
    assert_error(post(client, API, valid(start=start)), 400, "start")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("service", "no-such-service"),
        ("service", "../etc/passwd"),
        ("duration", 90),
        ("duration", 0),
        ("duration", 10**40),
        ("therapist", "nobody"),
        ("therapist", ""),
    ],
)
def test_unknown_service_duration_or_therapist_is_400(client, unchanged, field, value):
    assert_error(post(client, API, valid(**{field: value})), 400, field)


def test_a_therapist_who_does_not_offer_the_service_is_400(client, unchanged):
    # Grace does not offer trigger point therapy.
    body = valid(service="trigger-point-therapy", therapist="grace-okafor")
    error = assert_error(post(client, API, body), 400, "therapist")
    assert "Grace" in error["fields"]["therapist"]


@pytest.mark.parametrize("key", ["short", "x" * 65, "has space!", "émoji-key-1", ""])
def test_a_malformed_idempotency_key_is_400(client, unchanged, key):
    assert_error(post(client, API, valid(idempotency_key=key)), 400, "idempotency_key")


def test_the_screen_must_be_an_object_with_every_answer(client, unchanged):
    assert_error(post(client, API, valid(screen=[1, 2])), 400, "screen")
    error = assert_error(post(client, API, valid(screen={"pain_score": 3})), 400)
    # Every unanswered question is named at once; the ticked lists may be left out.
    assert set(error["fields"]) == {
        f"screen.{name}"
        for name in fine().to_data()
        if name
        not in (
            "pain_score",
            "emergency_symptoms",
            "emergency_unsure",
            "urgent_symptoms",
            "history",
            "seen_doctor_since_onset",
        )
    }
    assert error["fields"]["screen.location"] == "Choose where the pain is."


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    changes=st.dictionaries(
        st.sampled_from([*valid(), "screen", "idempotency_key", "price"]), JSON_VALUES, max_size=4
    )
)
def test_no_input_is_a_500(client, demo, changes):
    before = bookings_count()
    response = post(client, API, valid(**changes))
    assert response.status_code in (201, 400, 409), response.get_data(as_text=True)
    assert bookings_count() == before + (response.status_code == 201)


# --- The manage token ---------------------------------------------------------------------


@pytest.mark.parametrize("url", ["", "/reschedule", "/cancel", "/clearance"])
def test_unknown_and_malformed_tokens_give_the_same_404(client, demo, url):
    book(client)
    unknown = "A" * 32
    responses = []
    for token in (unknown, "x", "not a token!", "%00", "a" * 200):
        if url:
            responses.append(post(client, f"{API}/{token}{url}", {}))
        else:
            responses.append(get(client, f"{API}/{token}"))
    any_miss = get(client, "/api/v1/no-such-thing")
    for response in responses:
        assert response.status_code == 404
        assert without_reference(response) == without_reference(any_miss)
        assert response.headers["Cache-Control"] == "no-store"


# --- Reschedule -------------------------------------------------------------------------


def test_reschedule_moves_the_booking(client, demo):
    booking, token = book(client)
    response = post(client, f"{API}/{token}/reschedule", {"start": MONDAY_1130})
    assert response.status_code == 200, response.get_json()
    moved = BookingResponse.model_validate(response.get_json()).booking
    assert moved.public_id == booking["public_id"]
    assert response.get_json()["booking"]["start"] == MONDAY_1130
    assert response.headers["Cache-Control"] == "no-store"
    # The old time is free again.
    book(client, email="bea@example.org")
    assert bookings_count() == 2


def test_reschedule_to_a_taken_time_is_409_with_alternatives(client, demo):
    book(client, start=MONDAY_12)
    _, token = book(client, email="bea@example.org")
    before = state()
    response = post(client, f"{API}/{token}/reschedule", {"start": MONDAY_12})
    error = assert_error(response, 409)
    assert error["reason"] == "taken" and error["alternatives"]
    assert state() == before


def test_reschedule_inside_the_cutoff_is_409(client, demo):
    _, token = book(client, start=TODAY_14)
    before = state()
    response = post(client, f"{API}/{token}/reschedule", {"start": MONDAY_1130})
    error = assert_error(response, 409)
    assert error["reason"] == "cutoff" and "call us" in error["message"]
    assert state() == before


def test_reschedule_of_a_cancelled_booking_is_409(client, demo):
    _, token = book(client)
    assert post(client, f"{API}/{token}/cancel", {}).status_code == 200
    before = state()
    response = post(client, f"{API}/{token}/reschedule", {"start": MONDAY_1130})
    assert assert_error(response, 409)["reason"] == "not_active"
    assert state() == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"start": "tomorrow"},
        {"start": MONDAY_1130, "therapist": "grace-okafor"},
        {"start": 1},
        {"start": "2027-03-01T10:00:00+00:00"},
        [MONDAY_1130],
    ],
)
def test_reschedule_with_a_bad_body_is_400(client, demo, body):
    _, token = book(client)
    before = state()
    assert_error(post(client, f"{API}/{token}/reschedule", body), 400)
    assert state() == before


def test_reschedule_needs_json(client, demo):
    _, token = book(client)
    response = post(
        client, f"{API}/{token}/reschedule", f"start={MONDAY_1130}", content_type="text/plain"
    )
    assert_error(response, 415)


# --- Cancel -----------------------------------------------------------------------------


def test_cancel_cancels_and_frees_the_time(client, demo):
    _, token = book(client)
    response = post(client, f"{API}/{token}/cancel", {})
    assert response.status_code == 200
    booking = response.get_json()["booking"]
    assert booking["status"] == "cancelled"
    assert not booking["can_cancel"] and not booking["can_reschedule"]
    assert get(client, f"{API}/{token}").get_json()["booking"]["status"] == "cancelled"
    book(client, email="bea@example.org")


def test_cancel_twice_is_409_not_active(client, demo):
    _, token = book(client)
    post(client, f"{API}/{token}/cancel", {})
    before = state()
    assert assert_error(post(client, f"{API}/{token}/cancel", {}), 409)["reason"] == "not_active"
    assert state() == before


def test_cancel_inside_the_cutoff_is_409(client, demo):
    _, token = book(client, start=TODAY_14)
    before = state()
    error = assert_error(post(client, f"{API}/{token}/cancel", {}), 409)
    assert error["reason"] == "cutoff" and "call us" in error["message"]
    assert state() == before


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("", "application/json", 400),
        ("[]", "application/json", 400),
        ({"reason": "ill"}, "application/json", 400),
        ("{}", "text/plain", 415),
    ],
)
def test_cancel_needs_an_empty_json_object(client, demo, body, content_type, status):
    _, token = book(client)
    before = state()
    assert_error(post(client, f"{API}/{token}/cancel", body, content_type=content_type), status)
    assert state() == before


# --- No cookies -------------------------------------------------------------------------


def test_api_responses_set_no_cookie(client, demo):
    created = post(client, API, valid())
    token = created.get_json()["manage_url"].rsplit("/", 1)[1]
    responses = [
        created,
        post(client, API, valid()),  # 409
        post(client, API, "[]"),  # 400
        post(client, API, "{}", content_type="text/plain"),  # 415
        get(client, f"{API}/{token}"),
        get(client, f"{API}/{'A' * 32}"),  # 404
        post(client, f"{API}/{token}/reschedule", {"start": MONDAY_1130}),
        post(client, f"{API}/{token}/cancel", {}),
        get(client, "/api/v1/services"),
        get(client, "/api/v1/openapi.json"),
        client.delete(API),  # 405
    ]
    for response in responses:
        assert "Set-Cookie" not in response.headers, response.request.path
    assert not client.get_cookie("session", domain="clinic.test")
